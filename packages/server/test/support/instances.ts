/**
 * @module instances
 * Real `handset serve` processes for the multi-instance tests: each one is started with the CLI
 * (`node packages/server/bin/handset.mjs serve`) on a free port, waited for through `/readyz`, and
 * stopped with SIGTERM (SIGKILL if it will not go). Also: credentials through
 * `handset clients create --json`, the dev outbox over HTTP, and the PostgreSQL database the
 * tests run on (`HANDSET_TEST_DATABASE_URL`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createScratchSchema } from '../../src/store/scratch-schema.js';
import { freePort, startTestServer, testDatabaseUrl, type TestServer, type TestServerOptions } from '../../src/testing.js';

const BIN = fileURLToPath(new URL('../../bin/handset.mjs', import.meta.url));
const START_TIMEOUT_MS = 60_000;
const ABUSE_LIMIT_VARIABLES = [
  'HANDSET_LIMIT_PUBLIC_PER_IP_PER_MINUTE',
  'HANDSET_LIMIT_PUBLIC_GLOBAL_PER_MINUTE',
  'HANDSET_LIMIT_CHALLENGES_PER_IP',
  'HANDSET_LIMIT_SESSION_PER_MINUTE',
  'HANDSET_LIMIT_TOKEN_PER_CLIENT_PER_MINUTE',
  'HANDSET_LIMIT_TOKEN_PER_IP_PER_MINUTE',
  'HANDSET_LIMIT_TOKEN_FAILURES_PER_IP',
];

/**
 * The PostgreSQL URL of the multi-instance tests, or a skip reason. Under `CI` a missing URL is
 * an error, never a skip.
 */
export function multiInstanceDatabase(): { url: string; skip: false } | { url: null; skip: string } {
  const url = testDatabaseUrl();
  if (url) return { url, skip: false };
  const reason = 'HANDSET_TEST_DATABASE_URL is not set: the multi-instance tests need PostgreSQL (npm test runs them in its PostgreSQL pass)';
  if (process.env.CI) throw new Error(`${reason}; CI must not skip them`);
  return { url: null, skip: reason };
}

export interface Instance {
  /** http://127.0.0.1:PORT, also its public URL. */
  url: string;
  process: ChildProcess;
  /** What the process wrote (for failure messages). */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

function collectOutput(child: ChildProcess): () => string {
  let text = '';
  const add = (chunk: Buffer): void => {
    text = (text + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => text;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/**
 * Starts `handset serve` on `databaseUrl`, given with `--database` or (`via: 'env'`) in
 * `HANDSET_DATABASE_URL`; resolves once `/readyz` answers 200.
 */
export async function startInstance(
  databaseUrl: string,
  env: Record<string, string> = {},
  via: 'flag' | 'env' = 'flag',
): Promise<Instance> {
  const database = via === 'flag' ? ['--database', databaseUrl] : [];
  return startServerProcess(
    'handset serve',
    (port, url) => [BIN, 'serve', '--port', String(port), '--host', '127.0.0.1', ...database, '--public-url', url],
    {
      HANDSET_LOG_LEVEL: 'warn',
      // Development mode (texts in the outbox the tests read); a test of production mode overrides it.
      HANDSET_DEV: '1',
      HANDSET_RATE_LIMIT_PER_SECOND: '0',
      // Every request of a test comes from 127.0.0.1: no per-address or per-client abuse bounds.
      ...Object.fromEntries(ABUSE_LIMIT_VARIABLES.map((name) => [name, '0'])),
      HANDSET_DATABASE_URL: via === 'env' ? databaseUrl : '',
      ...env,
    },
  );
}

/**
 * Starts `node ARGS` (`args` given the free port chosen and its URL) with `env` over this
 * process's, and resolves once `/readyz` answers 200: `handset serve`, or a benchmark's server.
 */
export async function startServerProcess(
  name: string,
  args: (port: number, url: string) => string[],
  env: Record<string, string>,
): Promise<Instance> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, args(port, url), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = collectOutput(child);
  const instance: Instance = {
    url,
    process: child,
    output,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited(child);
      clearTimeout(timer);
      return code;
    },
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      if (response.status === 200) return instance;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await instance.stop(1000);
  throw new Error(`${name} did not become ready in time:\n${output()}`);
}

/** Runs the `handset` CLI to completion; resolves with its stdout. */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<string> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, HANDSET_DATABASE_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const output = collectOutput(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
  const code = await exited(child);
  clearTimeout(timer);
  if (code !== 0) throw new Error(`handset ${args[0]} failed (${code}):\n${output()}`);
  return stdout;
}

/** A client created with `handset clients create --json`. */
export async function createClientWithCli(databaseUrl: string, name = 'multi-instance'): Promise<{ clientId: string; clientSecret: string }> {
  const stdout = await runCli(['clients', 'create', '--name', name, '--json', '--database', databaseUrl]);
  return JSON.parse(stdout) as { clientId: string; clientSecret: string };
}

/** The newest dev-outbox message to `to`, read from any instance, with its code or link path. */
export async function latestSms(instanceUrl: string, to: string): Promise<{ body: string; code: string | null; linkPath: string | null }> {
  const response = await fetch(`${instanceUrl}/dev/outbox`, { headers: { accept: 'application/json' } });
  const { messages } = (await response.json()) as { messages: Array<{ to: string; body: string }> };
  const message = messages.find((m) => m.to === to);
  if (!message) throw new Error('no message in the outbox for this number');
  const link = /(https?:\/\/\S+)/.exec(message.body)?.[1] ?? null;
  return {
    body: message.body,
    code: /\b(\d{4,6})\b/.exec(message.body)?.[1] ?? null,
    linkPath: link ? new URL(link).pathname : null,
  };
}

/** Two in-process test servers sharing one fresh PostgreSQL schema. */
export interface TwoServers {
  a: TestServer;
  b: TestServer;
  /** Closes both servers, then drops the schema. */
  close(): Promise<void>;
}

/**
 * Starts two test servers with the same `options` on a fresh schema of the multi-instance database
 * (named `<prefix>_…`); a failure half-way closes what was started.
 *
 * @example
 * const servers = await startTwoServers('hs_policy', { overrides: { env } });
 * after(() => servers?.close());
 */
export async function startTwoServers(prefix: string, options: Omit<TestServerOptions, 'databaseUrl'> = {}): Promise<TwoServers> {
  const url = multiInstanceDatabase().url;
  if (!url) throw new Error('startTwoServers needs HANDSET_TEST_DATABASE_URL (PostgreSQL)');
  const scratch = await createScratchSchema(url, prefix);
  const started: TestServer[] = [];
  const close = async (): Promise<void> => {
    for (const server of started) await server.close();
    await scratch.drop();
  };
  try {
    for (let i = 0; i < 2; i++) started.push(await startTestServer({ ...options, databaseUrl: scratch.url }));
  } catch (error) {
    await close();
    throw error;
  }
  return { a: started[0]!, b: started[1]!, close };
}
