/**
 * @module e2e/web/support/fixture
 * One browser-test environment per test file: the SDK built (esbuild only), a real Handset
 * server (`startTestServer`), the integrator's app on another port, and a Chromium instance.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { startTestServer, type TestServer, type TestServerOptions } from '@handset/server/testing';
import { startAppServer, type AppServer } from './app-server.ts';
import { launchBrowser } from './browser.ts';
import { handsetApi } from './handset-api.ts';

const buildScript = join(dirname(fileURLToPath(import.meta.url)), '../../../packages/web/scripts/build.mjs');

export interface Environment {
  server: TestServer;
  app: AppServer;
  browser?: Browser;
  close(): Promise<void>;
}

/** Builds the bundles the pages load into a private temporary directory and returns it. */
export function buildSdk(): string {
  const outDir = mkdtempSync(join(tmpdir(), 'handset-web-e2e-'));
  execFileSync(process.execPath, [buildScript, '--no-types', '--out-dir', outDir], { stdio: 'pipe', timeout: 60_000 });
  return outDir;
}

/** Starts everything; `browser: false` when the test launches its own (persistent) browser. */
export async function startEnvironment(options: TestServerOptions & { browser?: boolean } = {}): Promise<Environment> {
  const bundles = buildSdk();
  const opened: Array<() => Promise<void>> = [async () => rmSync(bundles, { recursive: true, force: true })];
  const close = async (): Promise<void> => {
    for (const release of opened.reverse()) await release();
  };
  try {
    const server = await startTestServer(options);
    opened.push(() => server.close());
    const app = await startAppServer(handsetApi(server.url, server.clientId, server.clientSecret), bundles);
    opened.push(() => app.close());
    const browser = options.browser === false ? undefined : await launchBrowser();
    if (browser) opened.push(() => browser.close());
    return { server, app, browser, close };
  } catch (error) {
    await close();
    throw error;
  }
}
