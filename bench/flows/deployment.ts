/**
 * @module bench/flows/deployment
 * The Handset deployments `npm run bench:flows` measures, started as a deployment runs them:
 * `handset serve` child processes (packages/server/test/support/instances.ts), a client made with
 * `handset clients create`, then every process pinned to core 0 with `taskset` so the load
 * generator (this process) and PostgreSQL have the other core.
 *
 * Modes: `sqlite` (one instance on a SQLite file), `postgres` (one instance on a fresh PostgreSQL
 * schema), `postgres-2` (two instances on one fresh schema, sharing core 0), and `skeleton`: not
 * Handset but bench/flows/skeleton-server.ts on a SQLite file, the mobile flow with nothing but
 * its statements, crypto, validation and log lines (a yardstick for Handset's own code), and
 * `skeleton-batched`: the same with the steps of one event-loop turn sharing a transaction.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { DeviceKeyPool } from '../../scripts/soak/device-key-pool.js';
import type { FlowTarget } from '../../scripts/soak/flows.js';
import { JsonHttp } from '../../scripts/soak/json-http.js';
import { createScratchSchema, type ScratchSchema } from '../../packages/server/src/store/scratch-schema.js';
import { createClientWithCli, startInstance, startServerProcess, type Instance } from '../../packages/server/test/support/instances.js';
import { Backend } from '../../packages/server/test/support/server-api.js';
import { postgresOutbox, sqliteOutbox, type OutboxReader } from './outbox-reader.js';

export const MODES = ['sqlite', 'postgres', 'postgres-2', 'skeleton', 'skeleton-batched'] as const;
export type Mode = (typeof MODES)[number];

/** The modes that need PostgreSQL. */
export const usesPostgres = (mode: Mode): boolean => mode === 'postgres' || mode === 'postgres-2';

/** The modes that run bench/flows/skeleton-server.ts instead of Handset. */
export const isSkeleton = (mode: Mode): boolean => mode === 'skeleton' || mode === 'skeleton-batched';

/** The flows the skeleton serves (the others are Handset's alone). */
export const SKELETON_FLOWS: readonly string[] = ['mobile-otp'];

const SKELETON = fileURLToPath(new URL('./skeleton-server.ts', import.meta.url));

/** How the bench starts the servers. */
export interface DeployOptions {
  /** PostgreSQL base URL (its database gets a fresh schema per mode). */
  postgresUrl: string;
  /** HANDSET_LOG_LEVEL of the servers. */
  logLevel: string;
  /** When set, each server writes a V8 CPU profile into this directory when it stops. */
  cpuProfDir?: string;
  /** Where the flows take their Prove Keys (the bench fills it before each measurement). */
  keys: DeviceKeyPool;
}

/** A running deployment: its instances, the flows' target, and where its CPU time is read. */
export interface Deployment {
  mode: Mode;
  instances: Instance[];
  target: FlowTarget;
  /** Whether `taskset` pinned every Handset process to core 0. */
  pinned: boolean;
  /** The Handset processes' PIDs. */
  serverPids(): number[];
  /** PIDs of the PostgreSQL backends serving this deployment's Handset processes (none on SQLite). */
  postgresPids(): Promise<number[]>;
  stop(): Promise<void>;
}

/** Pins every thread of `pid` to CPU 0; false when taskset is missing or refused. */
function pinToCoreZero(pid: number): boolean {
  return spawnSync('taskset', ['-a', '-cp', '0', String(pid)], { stdio: 'ignore' }).status === 0;
}

/** Starts the instances of `mode`; `stop()` ends them and removes their database. */
export async function deploy(mode: Mode, options: DeployOptions): Promise<Deployment> {
  let scratch: ScratchSchema | null = null;
  let dir: string | null = null;
  let serverUrl: string;
  let readerUrl: string;
  const applicationName = `hs_bench_${mode.replace('-', '_')}_${process.pid}`;
  if (!usesPostgres(mode)) {
    dir = mkdtempSync(join(tmpdir(), 'handset-bench-flows-'));
    serverUrl = readerUrl = join(dir, 'handset.db');
  } else {
    scratch = await createScratchSchema(options.postgresUrl, 'hs_bench');
    readerUrl = scratch.url;
    // The servers' connections carry their own application_name, so their backends can be found
    // in pg_stat_activity (a connection-string parameter overrides the pool's 'handset').
    const url = new URL(scratch.url);
    url.searchParams.set('application_name', applicationName);
    serverUrl = url.toString();
  }
  const instances: Instance[] = [];
  const monitor = scratch ? new pg.Client({ connectionString: options.postgresUrl, connectionTimeoutMillis: 5000 }) : null;
  let reader: OutboxReader | null = null;
  const http = new JsonHttp();
  const stop = async (): Promise<void> => {
    await Promise.all(instances.map((i) => i.stop()));
    await reader?.close();
    http.close();
    await monitor?.end().catch(() => {});
    await scratch?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const env: Record<string, string> = { HANDSET_LOG_LEVEL: options.logLevel };
    const count = mode === 'postgres-2' ? 2 : 1;
    for (let i = 0; i < count; i++) {
      if (options.cpuProfDir) {
        // Node 20 does not take --cpu-prof in NODE_OPTIONS: a preload starts the profiler instead.
        env.NODE_OPTIONS = `--import=${fileURLToPath(new URL('../support/cpu-profile-preload.mjs', import.meta.url))}`;
        env.HANDSET_BENCH_CPU_PROFILE = join(options.cpuProfDir, `${mode}-${i}-${process.pid}.cpuprofile`);
      }
      instances.push(
        isSkeleton(mode)
          ? await startServerProcess('the skeleton server', (port) => ['--import', 'tsx', SKELETON, '--port', String(port), '--database', serverUrl, ...(mode === 'skeleton-batched' ? ['--batch-steps'] : [])], env)
          : await startInstance(serverUrl, env),
      );
    }
    const client = await createClientWithCli(serverUrl, 'bench-flows');
    const pinned = instances.map((i) => pinToCoreZero(i.process.pid!)).every(Boolean);
    const urls = instances.map((i) => i.url);
    const backends = urls.map((u) => new Backend(u, client.clientId, client.clientSecret));
    for (const b of backends) await b.token();
    reader = scratch ? postgresOutbox(readerUrl) : sqliteOutbox(readerUrl);
    if (monitor) {
      monitor.on('error', () => {});
      await monitor.connect();
    }
    return {
      mode,
      instances,
      target: { urls, backends, sms: reader.sms, tryMobileAuth: false, http, keys: options.keys },
      pinned,
      serverPids: () => instances.map((i) => i.process.pid!),
      async postgresPids() {
        if (!monitor) return [];
        const { rows } = await monitor.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [applicationName]);
        return rows.map((r) => r.pid);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
