/**
 * @module test/start-script.test
 * `npm start` (scripts/start.mjs) as a person runs it: on free ports and a fresh data directory it
 * provisions the demo's client once, starts the platform and the demo, prints the URLs, serves a
 * working demo, and stops both on Ctrl-C (SIGINT); a second start reuses the stored client. A taken
 * port fails at once with a message that names it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { freePort } from '@handset/server/testing';
import { postJson, repoRoot } from './support/environment.ts';

const READY_MS = 120_000;
const STOP_MS = 20_000;

interface Run {
  child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, ms: number): Promise<void>;
  exited: Promise<number | null>;
}

function startScript(env: Record<string, string>): Run {
  const child = spawn(process.execPath, [join(repoRoot, 'scripts/start.mjs')], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    async waitFor(pattern, ms) {
      const deadline = Date.now() + ms;
      while (!pattern.test(output)) {
        if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}) before printing ${pattern}:\n${output}`);
        if (Date.now() > deadline) throw new Error(`npm start did not print ${pattern} within ${ms} ms:\n${output}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
  };
}

async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function twoFreePorts(): Promise<[number, number]> {
  const first = await freePort();
  let second = await freePort();
  while (second === first) second = await freePort();
  return [first, second];
}

describe('npm start', () => {
  const runs: Run[] = [];
  const dirs: string[] = [];
  after(async () => {
    for (const run of runs) {
      if (run.child.exitCode === null && run.child.signalCode === null) {
        run.child.kill('SIGTERM');
        await within(run.exited, STOP_MS, 'npm start stopped').catch(() => run.child.kill('SIGKILL'));
      }
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('starts the platform and the demo with a provisioned client, prints the URLs, and stops on Ctrl-C', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'demo-start-'));
    dirs.push(dataDir);
    const [platformPort, demoPort] = await twoFreePorts();
    const env = { HANDSET_PORT: String(platformPort), DEMO_PORT: String(demoPort), DEMO_DATA_DIR: dataDir };
    const demoUrl = `http://127.0.0.1:${demoPort}`;

    const run = startScript(env);
    runs.push(run);
    await run.waitFor(/Press Ctrl-C to stop/, READY_MS);
    assert.match(run.output(), new RegExp(`Demo: open this in your browser\\s+${demoUrl}`));
    assert.match(run.output(), new RegExp(`SMS outbox.*http://127\\.0\\.0\\.1:${platformPort}/dev/outbox`));
    assert.match(run.output(), /Created the demo's client credentials/);

    const home = await fetch(demoUrl);
    assert.equal(home.status, 200);
    assert.match(await home.text(), /Verify your phone number/);
    const config = (await (await fetch(`${demoUrl}/api/config`)).json()) as Record<string, string>;
    assert.equal(config.outboxUrl, `http://127.0.0.1:${platformPort}/dev/outbox`);
    assert.equal(config.mobileAuthNumber, '+12025550100');
    const started = await postJson(`${demoUrl}/api/start`, { phoneNumber: '+12025550150', flow: 'desktop' });
    assert.equal(started.status, 200, 'the provisioned client can start flows');
    assert.ok(started.body.authToken);
    assert.equal((await fetch(`${demoUrl}/sdk/handset-web.mjs`)).status, 200);

    const credentialsFile = join(dataDir, 'demo-client.json');
    assert.equal(statSync(credentialsFile).mode & 0o777, 0o600);
    const { clientId } = JSON.parse(readFileSync(credentialsFile, 'utf8')) as { clientId: string };
    assert.ok(existsSync(join(dataDir, 'handset.db')));

    // The operator console: the printed admin credential signs in to the admin API.
    const adminFile = join(dataDir, 'dev-admin.json');
    assert.equal(statSync(adminFile).mode & 0o777, 0o600);
    const admin = JSON.parse(readFileSync(adminFile, 'utf8')) as { adminId: string; secret: string };
    assert.match(run.output(), new RegExp(`Operator console\\s+http://127\\.0\\.0\\.1:${platformPort}/admin\\s+sign in with admin id ${admin.adminId}`));
    assert.doesNotMatch(run.output(), new RegExp(admin.secret), 'the secret stays in its file');
    assert.equal((await postJson(`http://127.0.0.1:${platformPort}/admin/v1/token`, { adminId: admin.adminId, secret: admin.secret })).status, 200);

    run.child.kill('SIGINT');
    assert.equal(await within(run.exited, STOP_MS, 'npm start did not stop'), 0);
    assert.match(run.output(), /Stopped\./);
    await assert.rejects(fetch(demoUrl), 'the demo port is closed');
    await assert.rejects(fetch(`http://127.0.0.1:${platformPort}/healthz`), 'the platform port is closed');

    const again = startScript(env);
    runs.push(again);
    await again.waitFor(/Press Ctrl-C to stop/, READY_MS);
    assert.doesNotMatch(again.output(), /Created the demo's client credentials|Created the development admin/);
    assert.equal((JSON.parse(readFileSync(credentialsFile, 'utf8')) as { clientId: string }).clientId, clientId);
    assert.equal((await postJson(`${demoUrl}/api/start`, { phoneNumber: '+12025550151', flow: 'mobile' })).status, 200);
    again.child.kill('SIGINT');
    assert.equal(await within(again.exited, STOP_MS, 'npm start did not stop'), 0);
  });

  test('fails at once with a clear message when a port it needs is taken', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'demo-start-'));
    dirs.push(dataDir);
    const [taken, free] = await twoFreePorts();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', resolve));
    try {
      const run = startScript({ HANDSET_PORT: String(free), DEMO_PORT: String(taken), DEMO_DATA_DIR: dataDir });
      runs.push(run);
      assert.equal(await within(run.exited, STOP_MS, 'npm start did not exit'), 1);
      assert.match(run.output(), new RegExp(`port ${taken} on 127\\.0\\.0\\.1 is already in use, and the demo needs it`));
      assert.match(run.output(), /DEMO_PORT=/);
      assert.equal(existsSync(join(dataDir, 'demo-client.json')), false, 'nothing was provisioned');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  test('refuses a port setting that is not a port', async () => {
    const run = startScript({ HANDSET_PORT: 'eighty', DEMO_PORT: '3000' });
    runs.push(run);
    assert.equal(await within(run.exited, STOP_MS, 'npm start did not exit'), 1);
    assert.match(run.output(), /HANDSET_PORT must be a port number/);
  });
});
