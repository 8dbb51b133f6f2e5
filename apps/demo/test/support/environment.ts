/**
 * @module test/support/environment
 * A real platform (`startTestServer`: 127.0.0.1, in-memory SQLite, development outbox) and the
 * demo started in-process against it on a free port, as `npm start` runs them, for one test file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, type OutboxMessage, type TestServer } from '@handset/server/testing';
import { startDemo, type RunningDemo } from '../../src/main.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** A number the development carrier recognises in these tests (Mobile Auth succeeds). */
export const MOBILE_AUTH_NUMBER = '+12025550100';

export interface Environment {
  platform: TestServer;
  demo: RunningDemo;
  /** The platform's outbox as its JSON page serves it (`GET /dev/outbox`), newest first. */
  outbox(): Promise<OutboxMessage[]>;
  close(): Promise<void>;
}

/**
 * Builds the web SDK from its sources into a private temporary directory (so a concurrent rebuild
 * of packages/web/dist can never hand the browser a half-written file) and returns the directory.
 */
export function buildWebSdk(): string {
  const dir = mkdtempSync(join(tmpdir(), 'demo-sdk-'));
  const built = spawnSync(process.execPath, [join(repoRoot, 'packages/web/scripts/build.mjs'), '--no-types', '--out-dir', dir], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (built.status !== 0 || !existsSync(join(dir, 'handset-web.mjs'))) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`building the web SDK into a temporary directory failed:\n${built.stderr}${built.stdout}`);
  }
  return dir;
}

/** Starts the platform and the demo; the demo serves a private build of the web SDK. */
export async function startEnvironment(options: { sandbox?: boolean; now?: () => Date } = {}): Promise<Environment> {
  const sdkDir = buildWebSdk();
  const platform = await startTestServer({ sandbox: options.sandbox ?? false, mobileAuthNumbers: [MOBILE_AUTH_NUMBER] });
  let demo: RunningDemo;
  try {
    demo = await startDemo({
      port: 0,
      handsetUrl: platform.url,
      clientId: platform.clientId,
      clientSecret: platform.clientSecret,
      mobileAuthNumber: MOBILE_AUTH_NUMBER,
      sdkDir,
      ...(options.now ? { now: options.now } : {}),
    });
  } catch (error) {
    await platform.close();
    rmSync(sdkDir, { recursive: true, force: true });
    throw error;
  }
  return {
    platform,
    demo,
    async outbox() {
      const res = await fetch(`${platform.url}/dev/outbox`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`GET /dev/outbox answered ${res.status}`);
      return ((await res.json()) as { messages: OutboxMessage[] }).messages;
    },
    async close() {
      try {
        await demo.close();
      } finally {
        await platform.close();
        rmSync(sdkDir, { recursive: true, force: true });
      }
    },
  };
}

/** POSTs JSON to the demo and returns status and parsed body. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, body: await res.json() };
}
