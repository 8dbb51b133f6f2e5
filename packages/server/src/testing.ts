/**
 * @module testing
 * `startTestServer()`: a real platform on a real socket (127.0.0.1, a free port) with an
 * in-memory SQLite database (or the given database URL), one client ready to use, and the
 * outbox readable — for this repository's tests and for integrators' own CI.
 *
 * With `HANDSET_TEST_DATABASE_URL=postgres://…` in the environment, every test server gets its
 * own fresh schema in that PostgreSQL database instead (dropped again on close), so the same
 * test files run on both databases.
 */
import { createServer } from 'node:net';
import { loadConfig, NO_ABUSE_LIMITS, type AbuseLimits, type Config } from './config.js';
import { createClient, type NewClient } from './flows/clients.js';
import { createLogger, type DepsOverrides } from './deps.js';
import { startServer, type RunningServer } from './server.js';
import { isPostgresUrl } from './store/database.js';
import { listOutbox } from './store/outbox-repo.js';
import { createScratchSchema, type ScratchSchema } from './store/scratch-schema.js';

export interface TestServerOptions {
  sandbox?: boolean;
  /** Numbers whose Mobile Auth succeeds at the sandbox carrier. */
  mobileAuthNumbers?: string[];
  /**
   * Defaults to a fresh in-memory SQLite database, or to a fresh schema in the PostgreSQL
   * database named by `HANDSET_TEST_DATABASE_URL` when that is set.
   */
  databaseUrl?: string;
  /** Requests per second per client on /v3/* (default 0: no limit in tests). */
  rateLimitPerSecond?: number;
  /** Abuse bounds to turn on (default: all off, since every test request comes from one address). */
  limits?: Partial<AbuseLimits>;
  config?: Partial<Config>;
  overrides?: DepsOverrides;
}

export interface OutboxMessage {
  to: string;
  body: string;
  sentAt: string;
}

export interface TestServer extends NewClient {
  url: string;
  server: RunningServer;
  createClient(name: string): Promise<NewClient>;
  /** The outbox, newest first. */
  outbox(): Promise<OutboxMessage[]>;
  close(): Promise<void>;
}

/** A port that is free right now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The PostgreSQL database tests should use, or null for in-memory SQLite. */
export function testDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string | null {
  const url = env.HANDSET_TEST_DATABASE_URL?.trim();
  if (!url) return null;
  if (!isPostgresUrl(url)) throw new Error('HANDSET_TEST_DATABASE_URL must be a postgres:// URL');
  return url;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const port = await freePort();
  const pgUrl = options.databaseUrl === undefined && options.overrides?.db === undefined ? testDatabaseUrl() : null;
  const scratch: ScratchSchema | null = pgUrl ? await createScratchSchema(pgUrl, 'hs_test') : null;
  const database = scratch?.url ?? options.databaseUrl ?? ':memory:';
  // Development mode: texts land in the outbox the tests read (the tests of production mode say so).
  const base = loadConfig({ port, host: '127.0.0.1', database, sandbox: options.sandbox ?? false, dev: true }, {});
  const config: Config = {
    ...base,
    mobileAuthNumbers: options.mobileAuthNumbers ?? [],
    mobileAuthLine: null,
    rateLimitPerSecond: options.rateLimitPerSecond ?? 0,
    limits: { ...NO_ABUSE_LIMITS, ...options.limits },
    logLevel: process.env.HANDSET_TEST_LOG_LEVEL ?? 'silent',
    ...options.config,
  };
  const overrides: DepsOverrides = { log: createLogger(config.logLevel), ...options.overrides };
  let server: RunningServer;
  try {
    server = await startServer(Object.freeze(config), overrides);
  } catch (error) {
    await scratch?.drop();
    throw error;
  }
  const { deps } = server;
  const first = await createClient(deps.db.kysely, deps, 'test');
  return {
    ...first,
    url: config.publicUrl,
    server,
    createClient: (name) => createClient(deps.db.kysely, deps, name),
    outbox: async () =>
      (await listOutbox(deps.db.kysely, 200)).map((r) => ({ to: r.to_e164, body: r.body, sentAt: new Date(r.sent_at).toISOString() })),
    close: async () => {
      try {
        await server.close();
      } finally {
        await scratch?.drop();
      }
    },
  };
}
