/**
 * Whole-flow benchmark (issue 13): `npm run bench:flows [-- options]`.
 *
 * Drives whole flows over real HTTP and WebSocket against `handset serve` processes pinned to core
 * 0, from this process (the load generator, pinned to core 1), in three modes (SQLite one instance,
 * PostgreSQL one instance, PostgreSQL two instances with every flow alternating its calls between
 * them), next to the bare Fastify JSON route of the same run as the yardstick:
 *
 * - `mobile-otp`: /v3/unify (mobile) → Prove Key register → Mobile Auth error report → OTP start →
 *   OTP finish → /v3/unify-status (six requests; the code is read from the outbox table);
 * - `customer-bind`: /v3/unify (none) → register → /v3/unify-status → /v3/unify-bind;
 * - `desktop-link`: /v3/unify (desktop) → status socket → Instant Link start → link opened (on the
 *   other instance in two-instance mode) → the socket says done → /v3/unify-status.
 *
 * Closed loop with `--in-flight` flows at a time for `--seconds` per measurement, `--rounds`
 * interleaved rounds (every mode and flow, and the bare route, once per round), medians reported.
 * Prints the tables and writes the figures as JSON under bench/out/.
 *
 * Options: --seconds 10 (BENCH_SECONDS), --rounds 3 (BENCH_ROUNDS), --in-flight 50,
 * --modes sqlite,postgres,postgres-2, --flows mobile-otp,customer-bind,desktop-link,
 * --log-level info, --warmup-seconds 2, --quick (2 s per mode: one round, no warm-up),
 * --cpu-prof DIR (servers write V8 CPU profiles there when stopped; summarise them with
 * bench/profile-summary.ts), --out FILE.
 * PostgreSQL: HANDSET_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test); when
 * it is unreachable its modes are skipped with the reason, except under CI.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { DeviceKeyPool } from '../scripts/soak/device-key-pool.js';
import { FLOWS, type FlowName } from '../scripts/soak/flows.js';
import { cpuSeconds } from '../scripts/soak/process-stats.js';
import { closedLoop, type LoopResult } from './flows/closed-loop.js';
import { deploy, isSkeleton, MODES, SKELETON_FLOWS, usesPostgres, type Deployment, type Mode } from './flows/deployment.js';
import { printTargets, type FlowRow } from './flows/targets.js';
import { median } from './support/stats.js';
import { measure, startBenchServer } from './unify.bench.js';

const { values: options } = parseArgs({
  options: {
    seconds: { type: 'string', default: process.env.BENCH_SECONDS ?? '10' },
    rounds: { type: 'string', default: process.env.BENCH_ROUNDS ?? '3' },
    'in-flight': { type: 'string', default: '50' },
    modes: { type: 'string', default: MODES.join(',') },
    flows: { type: 'string', default: 'mobile-otp,customer-bind,desktop-link' },
    'log-level': { type: 'string', default: 'info' },
    'warmup-seconds': { type: 'string', default: '2' },
    quick: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    out: { type: 'string' },
  },
});

function positive(name: string, value: string | undefined, allowZero = false): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) throw new Error(`--${name} must be a positive number, got ${value}`);
  return n;
}

const quick = options.quick;
const modes = options.modes.split(',') as Mode[];
const flows = options.flows.split(',') as FlowName[];
for (const m of modes) if (!MODES.includes(m)) throw new Error(`unknown mode ${m} (${MODES.join(', ')})`);
for (const f of flows) if (!FLOWS.includes(f)) throw new Error(`unknown flow ${f} (${FLOWS.join(', ')})`);
// --quick: about 2 s per mode in all, split between its flows.
const seconds = quick ? Math.max(0.5, Math.round(20 / flows.length) / 10) : positive('seconds', options.seconds);
const rounds = quick ? 1 : Math.round(positive('rounds', options.rounds));
const inFlight = Math.round(positive('in-flight', options['in-flight']));
const warmup = quick ? 0 : positive('warmup-seconds', options['warmup-seconds'], true);
const postgresUrl = process.env.HANDSET_BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
const shownPostgres = ((): string => {
  const u = new URL(postgresUrl);
  return `${u.protocol}//${u.username ? `${u.username}@` : ''}${u.host}${u.pathname}`;
})();

/** Why PostgreSQL cannot be used, or null when it answers. */
async function postgresProblem(): Promise<string | null> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (error) {
    return (error as Error).message || String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

interface Yardstick {
  rps: number;
  cpuUsPerRequest: number;
  errors: number;
}

/** `call N (from A to B s)` for every call that failed, as the round's line prints them. */
function describeFailures(r: LoopResult): string {
  return Object.entries(r.failuresByCall)
    .map(([call, f]) => `${call} ${f.count} (${f.firstAt.toFixed(2)}–${f.lastAt.toFixed(2)} s)`)
    .join(', ');
}

/** The flows measured on `d`: the skeleton serves the mobile flow only. */
const flowsOf = (d: Deployment): FlowName[] => (isSkeleton(d.mode) ? flows.filter((f) => SKELETON_FLOWS.includes(f)) : flows);

const fmt = (n: number | null, digits = 0): string => (n === null || !Number.isFinite(n) ? '–' : n.toFixed(digits));

async function main(): Promise<void> {
  const load = { start: loadavg(), end: [] as number[] };
  const skipped: Record<string, string> = {};
  if (modes.some(usesPostgres)) {
    const problem = await postgresProblem();
    if (problem && process.env.CI) throw new Error(`PostgreSQL at ${shownPostgres} is unreachable (${problem}); CI requires it`);
    if (problem) {
      for (const m of modes.filter(usesPostgres)) {
        skipped[m] = `PostgreSQL at ${shownPostgres} is unreachable (${problem}); start it with scripts/ensure-postgres.sh`;
        console.log(`skipped ${m}: ${skipped[m]}`);
      }
    }
  }
  const active = modes.filter((m) => !skipped[m]);
  if (active.length === 0) {
    // Nothing left to measure: no bare route either (it is only the yardstick of the modes).
    console.log('no mode left to measure');
    return;
  }
  // The load generator (this process, all its threads) on core 1; the servers go to core 0.
  const selfPinned = spawnSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' }).status === 0;
  const bare = await startBenchServer('bare');
  const deployments: Deployment[] = [];
  // Ctrl-C: stop the servers and drop the scratch schemas before leaving.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`${signal}: stopping the servers`);
      bare.child.kill();
      void Promise.allSettled(deployments.map((d) => d.stop())).then(() => process.exit(130));
    });
  }
  const results: Record<string, Record<string, LoopResult[]>> = {};
  const yardstick: Yardstick[] = [];
  const sequences = new Map<Mode, { next: number }>();
  const keys = new DeviceKeyPool();
  // The last rate of each mode and flow, to fill the key pool for the next measurement.
  const lastRate = new Map<string, number>();
  const loop = async (d: Deployment, f: FlowName, s: number): Promise<LoopResult> => {
    // Before a first measurement, a guess: the target rate, or (--quick, no warm-up) a CI machine's.
    const r = await closedLoop(d, f, inFlight, s, sequences.get(d.mode)!, lastRate.get(`${d.mode} ${f}`) ?? (quick ? 200 : 2000));
    lastRate.set(`${d.mode} ${f}`, r.flowsPerSecond);
    return r;
  };
  try {
    for (const m of active) {
      deployments.push(await deploy(m, { postgresUrl, logLevel: options['log-level'], cpuProfDir: options['cpu-prof'] ? resolve(options['cpu-prof']) : undefined, keys }));
      sequences.set(m, { next: 0 });
    }
    const pinned = deployments.every((d) => d.pinned);
    console.log(`Handset processes: ${pinned ? 'pinned to core 0 (taskset)' : 'NOT pinned (taskset missing or refused)'}; bare Fastify route: core 0 too`);
    console.log(`load generator: this process (pid ${process.pid}), ${selfPinned ? 'pinned to core 1 (taskset)' : 'NOT pinned'}`);
    if (active.some(usesPostgres)) {
      console.log(`PostgreSQL: ${shownPostgres}, a shared system service, not pinned; its backends' CPU is counted apart ("PG CPU/flow"), not in "server CPU/flow"`);
    }
    console.log(`${cpus().length} CPUs; load average at start ${load.start.map((x) => x.toFixed(2)).join(' ')}; ${inFlight} flows in flight; ${seconds} s per measurement; ${rounds} round(s); log level ${options['log-level']}`);
    if (warmup > 0) {
      for (const d of deployments) for (const f of flowsOf(d)) await loop(d, f, warmup);
    }
    const statusBody = JSON.stringify({ correlationId: 'x' });
    for (let round = 0; round < rounds; round++) {
      const cpuBefore = cpuSeconds(bare.child.pid!);
      const m = await measure('bare', `${bare.info.url}/v3/unify-status`, statusBody, {}, seconds);
      const total = m.rps * seconds;
      yardstick.push({ rps: m.rps, errors: m.errors, cpuUsPerRequest: ((cpuSeconds(bare.child.pid!) - cpuBefore) * 1e6) / total });
      for (const d of deployments) {
        for (const f of flowsOf(d)) {
          const r = await loop(d, f, seconds);
          ((results[d.mode] ??= {})[f] ??= []).push(r);
          console.log(
            `round ${round + 1} ${d.mode} ${f}: ${r.flowsPerSecond.toFixed(0)} flows/s, ${r.serverCpuMsPerFlow.toFixed(2)} ms server CPU/flow, server core ${(100 * r.serverCoreBusy).toFixed(0)} % busy, load generator ${r.loadGeneratorCpuMsPerFlow.toFixed(2)} ms CPU/flow${r.keysMadeInWindow ? ` (${r.keysMadeInWindow} Prove Keys made in the window)` : ''}, ${r.failures} failed${r.firstFailure ? ` (first: ${r.firstFailure}; by call: ${describeFailures(r)})` : ''}`,
          );
        }
      }
    }
  } finally {
    bare.child.kill();
    for (const d of deployments) await d.stop();
  }
  load.end = loadavg();

  const bareRps = median(yardstick.map((y) => y.rps));
  const bareCpu = median(yardstick.map((y) => y.cpuUsPerRequest));
  console.log(`\nMedians of ${rounds} interleaved round(s); load average at end ${load.end.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`\nbare Fastify JSON route (autocannon, 50 connections): ${fmt(bareRps)} req/s, ${fmt(bareCpu, 1)} µs server CPU per request, ${yardstick.reduce((a, y) => a + y.errors, 0)} errors`);
  console.log('\n| mode | flow | flows/s | server CPU ms/flow | server core busy | PG CPU ms/flow | load gen. CPU ms/flow | flow p50 / p99 ms | errors |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const summary: Record<string, Record<string, FlowRow & Record<string, unknown>>> = {};
  for (const [mode, byFlow] of Object.entries(results)) {
    for (const [f, runs] of Object.entries(byFlow)) {
      const pgCpu = runs[0]!.postgresCpuMsPerFlow === null ? null : median(runs.map((r) => r.postgresCpuMsPerFlow!));
      const row = {
        flowsPerSecond: median(runs.map((r) => r.flowsPerSecond)),
        serverCpuMsPerFlow: median(runs.map((r) => r.serverCpuMsPerFlow)),
        postgresCpuMsPerFlow: pgCpu,
        serverCoreBusy: median(runs.map((r) => r.serverCoreBusy)),
        loadGeneratorCpuMsPerFlow: median(runs.map((r) => r.loadGeneratorCpuMsPerFlow)),
        flowP50: median(runs.map((r) => r.flow.p50)),
        flowP99: median(runs.map((r) => r.flow.p99)),
        flows: runs.reduce((a, r) => a + r.flows, 0),
        errors: runs.reduce((a, r) => a + r.failures, 0),
        keysMadeInWindow: runs.reduce((a, r) => a + r.keysMadeInWindow, 0),
        calls: Object.fromEntries(Object.keys(runs[0]!.calls).map((c) => [c, { p50: median(runs.map((r) => r.calls[c]?.p50 ?? NaN)), p99: median(runs.map((r) => r.calls[c]?.p99 ?? NaN)) }])),
      };
      (summary[mode] ??= {})[f] = row;
      console.log(
        `| ${mode} | ${f} | ${fmt(row.flowsPerSecond)} | ${fmt(row.serverCpuMsPerFlow, 2)} | ${fmt(100 * row.serverCoreBusy)} % | ${fmt(pgCpu, 2)} | ${fmt(row.loadGeneratorCpuMsPerFlow, 2)} | ${fmt(row.flowP50)} / ${fmt(row.flowP99)} | ${row.errors} |`,
      );
    }
  }
  console.log('\n| mode | flow | call | p50 ms | p99 ms |');
  console.log('| --- | --- | --- | ---: | ---: |');
  for (const [mode, byFlow] of Object.entries(summary)) {
    for (const [f, row] of Object.entries(byFlow)) {
      for (const [c, l] of Object.entries(row.calls)) {
        console.log(`| ${mode} | ${f} | ${c} | ${fmt(l.p50, 1)} | ${fmt(l.p99, 1)} |`);
      }
    }
  }
  printTargets(summary, bareCpu);
  for (const [mode, reason] of Object.entries(skipped)) console.log(`\nskipped ${mode}: ${reason}`);
  const out = options.out ? resolve(options.out) : fileURLToPath(new URL(`./out/flows-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, import.meta.url));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, loadAverage: load, inFlight, seconds, rounds, logLevel: options['log-level'], yardstick: { rps: bareRps, cpuUsPerRequest: bareCpu, rounds: yardstick }, modes: summary, raw: results, skipped }, null, 2)}\n`,
  );
  console.log(`\nJSON: ${out}`);
  const failed = Object.values(results).flatMap((byFlow) => Object.values(byFlow).flat()).some((r) => r.failures > 0);
  if (failed) process.exitCode = 1;
}

await main();
