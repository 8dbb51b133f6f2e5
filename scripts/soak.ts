/**
 * Soak test: `npm run soak [-- --minutes 30] [--rate N] [--postgres] [--out .tmp/soak]`.
 *
 * Starts `handset serve` (SQLite in a temporary directory, or a fresh schema in PostgreSQL with
 * `--postgres`), measures its capacity for the mixed flows (closed loop with half, once and twice
 * `--concurrency` flows at a time, `--measure-seconds` in all; the best throughput counts), then
 * runs the mix at half of it (or at `--rate` flows per second)
 * for `--minutes`. Every `--interval-seconds` it writes one CSV row: the server's RSS (and the part
 * of it that is the C heap), open file descriptors and CPU from /proc, the database size, the
 * /healthz latency from a worker thread (event-loop lag as seen from outside), and the flows done. At the end it draws the PNG chart
 * and prints PASS when memory is flat: the least-squares RSS trend over the second half grows
 * less than `--max-growth-mb`, and at least 99 % of the flows succeeded.
 *
 * Everything stays on 127.0.0.1; every loop ends at its deadline; the server is stopped at the end.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createScratchSchema, type ScratchSchema } from '../packages/server/src/store/scratch-schema.js';
import { createClientWithCli, startInstance } from '../packages/server/test/support/instances.js';
import { Backend } from '../packages/server/test/support/server-api.js';
import { renderSvg, svgToPng } from './soak/chart.js';
import { FLOWS, runFlow } from './soak/flows.js';
import { startLagProbe } from './soak/lag-probe.js';
import { cpuSeconds, nativeHeapMb, openFds, PostgresSize, rssMb, sqliteSize, type DatabaseSize } from './soak/process-stats.js';

const { values: options } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    rate: { type: 'string' },
    'measure-seconds': { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '8' },
    'interval-seconds': { type: 'string', default: '10' },
    'max-growth-mb': { type: 'string', default: '5' },
    postgres: { type: 'boolean', default: false },
    out: { type: 'string', default: '.tmp/soak' },
  },
});

function positive(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${value}`);
  return n;
}

const minutes = positive('minutes', options.minutes);
const measureSeconds = positive('measure-seconds', options['measure-seconds']);
const concurrency = Math.round(positive('concurrency', options.concurrency));
const intervalMs = positive('interval-seconds', options['interval-seconds']) * 1000;
const maxGrowthMb = positive('max-growth-mb', options['max-growth-mb']);
const outDir = resolve(options.out);
const kind = options.postgres ? 'postgresql' : 'sqlite';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Least-squares slope and intercept of y over x. */
function fit(xs: number[], ys: number[]): { slope: number; intercept: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

interface Row {
  elapsedS: number;
  rssMb: number;
  nativeMb: number;
  fds: number;
  cpuPct: number;
  dbMb: number;
  walMb: number;
  lagP50: number;
  lagP99: number;
  lagMax: number;
  probeFailures: number;
  ok: number;
  failed: number;
  dropped: number;
  inFlight: number;
}

const COLUMNS = 'elapsed_s,rss_mb,native_heap_mb,fds,cpu_pct,db_mb,wal_mb,lag_p50_ms,lag_p99_ms,lag_max_ms,probe_failures,flows_ok,flows_failed,flows_dropped,in_flight';

function csvLine(r: Row): string {
  const f = (v: number, d: number): string => (Number.isFinite(v) ? v.toFixed(d) : '');
  return [r.elapsedS, f(r.rssMb, 1), f(r.nativeMb, 1), r.fds, f(r.cpuPct, 1), f(r.dbMb, 2), f(r.walMb, 2), f(r.lagP50, 2), f(r.lagP99, 2), f(r.lagMax, 2), r.probeFailures, r.ok, r.failed, r.dropped, r.inFlight].join(',');
}

async function main(): Promise<void> {
  const tempDir = mkdtempSync(join(tmpdir(), 'handset-soak-'));
  let scratch: ScratchSchema | null = null;
  let databaseUrl = join(tempDir, 'handset.db');
  if (options.postgres) {
    scratch = await createScratchSchema(process.env.HANDSET_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test', 'hs_soak');
    databaseUrl = scratch.url;
  }
  const pgSize = scratch ? new PostgresSize(databaseUrl, scratch.schema) : null;
  await pgSize?.start();
  const dbSize = async (): Promise<DatabaseSize> => (pgSize ? pgSize.size() : sqliteSize(databaseUrl));

  // Production's log level: one line per request, written (and discarded) as a deployment would.
  const instance = await startInstance(databaseUrl, { HANDSET_LOG_LEVEL: 'info' });
  const pid = instance.process.pid!;
  let stopping = false;
  // Ctrl-C or a plain `kill`: finish the current interval, write the chart, stop the server.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.log(`\n${signal}: finishing the current interval`);
      stopping = true;
    });
  }
  try {
    const { clientId, clientSecret } = await createClientWithCli(databaseUrl, 'soak');
    let backend = new Backend(instance.url, clientId, clientSecret);
    let backendSince = Date.now();
    // Access tokens live an hour: a new back end (and token) every 30 minutes.
    const currentBackend = (): Backend => {
      if (Date.now() - backendSince > 30 * 60_000) {
        backend = new Backend(instance.url, clientId, clientSecret);
        backendSince = Date.now();
      }
      return backend;
    };
    let sequence = 0;
    console.log(`handset serve (pid ${pid}) on ${kind} at ${instance.url}`);
    for (let i = 0; i < FLOWS.length * 3; i++) await runFlow(instance.url, backend, sequence++);

    let rate: number;
    let capacity: number | null = null;
    if (options.rate) {
      rate = positive('rate', options.rate);
    } else {
      // Closed loop at rising concurrency; capacity is the best throughput seen (load generator
      // and server share the machine, so this is the capacity of the pair).
      capacity = 0;
      for (const workers of [concurrency / 2, concurrency, concurrency * 2].map(Math.round)) {
        const until = Date.now() + (measureSeconds * 1000) / 3;
        const started = Date.now();
        let done = 0;
        await Promise.all(
          Array.from({ length: workers }, async () => {
            while (Date.now() < until) {
              await runFlow(instance.url, backend, sequence++);
              done++;
            }
          }),
        );
        const throughput = done / ((Date.now() - started) / 1000);
        console.log(`  ${workers} flows at a time: ${throughput.toFixed(1)} flows/s`);
        capacity = Math.max(capacity, throughput);
      }
      rate = capacity / 2;
      console.log(`capacity: ${capacity.toFixed(1)} flows/s; soaking at half: ${rate.toFixed(1)} flows/s`);
    }

    mkdirSync(outDir, { recursive: true });
    const csvPath = join(outDir, `soak-${kind}.csv`);
    writeFileSync(csvPath, `${COLUMNS}\n`);
    const rows: Row[] = [];
    const probe = startLagProbe(instance.url);
    const maxInFlight = Math.max(20, Math.ceil(rate * 5));
    const errors = new Map<string, number>();
    let inFlight = 0;
    let ok = 0;
    let failed = 0;
    let dropped = 0;
    const soakStart = Date.now();
    const deadline = soakStart + minutes * 60_000;
    let lastCpu = cpuSeconds(pid);
    let lastSampleAt = soakStart;
    let counted = { ok: 0, failed: 0, dropped: 0 };

    const sample = async (): Promise<void> => {
      const now = Date.now();
      const cpu = cpuSeconds(pid);
      const { latencies, failures } = probe.drain();
      const db = await dbSize();
      latencies.sort((a, b) => a - b);
      const row: Row = {
        elapsedS: Math.round((now - soakStart) / 1000),
        rssMb: rssMb(pid),
        nativeMb: nativeHeapMb(pid),
        fds: openFds(pid),
        cpuPct: now > lastSampleAt ? ((cpu - lastCpu) / ((now - lastSampleAt) / 1000)) * 100 : NaN,
        dbMb: db.dataMb,
        walMb: db.walMb,
        lagP50: percentile(latencies, 50),
        lagP99: percentile(latencies, 99),
        lagMax: latencies.length ? latencies[latencies.length - 1]! : NaN,
        probeFailures: failures,
        ok: ok - counted.ok,
        failed: failed - counted.failed,
        dropped: dropped - counted.dropped,
        inFlight,
      };
      lastCpu = cpu;
      lastSampleAt = now;
      counted = { ok, failed, dropped };
      rows.push(row);
      appendFileSync(csvPath, `${csvLine(row)}\n`);
      const m = (row.elapsedS / 60).toFixed(1);
      console.log(
        `${m.padStart(5)} min  rss ${row.rssMb.toFixed(1)} MB (C heap ${row.nativeMb.toFixed(1)})  fds ${row.fds}  cpu ${row.cpuPct.toFixed(0)} %  db ${row.dbMb.toFixed(1)} MB (+ wal ${row.walMb.toFixed(1)})  ` +
          `healthz p50 ${row.lagP50.toFixed(1)} / p99 ${row.lagP99.toFixed(1)} ms  flows ${row.ok} ok, ${row.failed} failed, ${row.dropped} dropped`,
      );
    };

    await sample();
    let nextSample = soakStart + intervalMs;
    let nextStart = soakStart;
    while (!stopping && Date.now() < deadline) {
      const now = Date.now();
      if (now >= nextSample) {
        await sample();
        nextSample += intervalMs;
        continue;
      }
      if (now >= nextStart) {
        nextStart += 1000 / rate;
        if (inFlight >= maxInFlight) {
          dropped++;
          continue;
        }
        inFlight++;
        void runFlow(instance.url, currentBackend(), sequence++)
          .then(
            () => void ok++,
            (error: unknown) => {
              failed++;
              const key = String((error as Error).message ?? error).slice(0, 100);
              errors.set(key, (errors.get(key) ?? 0) + 1);
            },
          )
          .finally(() => void inFlight--);
        continue;
      }
      await sleep(Math.max(1, Math.min(nextStart, nextSample) - now));
    }
    const drainUntil = Date.now() + 60_000;
    while (inFlight > 0 && Date.now() < drainUntil) await sleep(50);
    await sample();
    await probe.stop();

    // Verdict: the RSS trend over the second half.
    const half = rows.filter((r) => r.elapsedS >= rows[rows.length - 1]!.elapsedS / 2);
    const xs = half.map((r) => r.elapsedS / 60);
    const { slope, intercept } = fit(xs, half.map((r) => r.rssMb));
    const spanMin = xs[xs.length - 1]! - xs[0]!;
    const growth = slope * spanMin;
    const total = ok + failed;
    const failedShare = total === 0 ? 1 : failed / total;
    const flat = half.length >= 3 && growth < maxGrowthMb;
    const pass = flat && failedShare <= 0.01;
    const allLat = rows.flatMap((r) => (Number.isFinite(r.lagP99) ? [r.lagP99] : [])).sort((a, b) => a - b);
    const summary = {
      database: kind,
      minutes: Number(((Date.now() - soakStart) / 60_000).toFixed(1)),
      rate: Number(rate.toFixed(2)),
      capacity: capacity === null ? null : Number(capacity.toFixed(1)),
      flows: { ok, failed, dropped },
      rssMb: { start: rows[0]!.rssMb, end: rows[rows.length - 1]!.rssMb, max: Math.max(...rows.map((r) => r.rssMb)) },
      nativeHeapMb: { start: rows[0]!.nativeMb, end: rows[rows.length - 1]!.nativeMb },
      secondHalf: { slopeMbPerHour: Number((slope * 60).toFixed(2)), fittedGrowthMb: Number(growth.toFixed(2)), minutes: Number(spanMin.toFixed(1)) },
      fds: { start: rows[0]!.fds, end: rows[rows.length - 1]!.fds, max: Math.max(...rows.map((r) => r.fds)) },
      dbMb: { start: rows[0]!.dbMb, end: rows[rows.length - 1]!.dbMb, walMax: Math.max(...rows.map((r) => r.walMb)) },
      healthzP99Ms: { median: percentile(allLat, 50), max: allLat[allLat.length - 1] ?? NaN },
      errors: Object.fromEntries([...errors].sort((a, b) => b[1] - a[1]).slice(0, 5)),
      pass,
    };
    console.log(JSON.stringify(summary, null, 2));

    const minutesAxis = rows.map((r) => r.elapsedS / 60);
    const perSecond = intervalMs / 1000;
    const svg = renderSvg(
      `Handset soak: ${kind}, ${rate.toFixed(1)} flows/s${capacity === null ? '' : ` (half of the measured ${capacity.toFixed(1)}/s)`}, ${summary.minutes} min`,
      [
        `Flows in turn: mobile with SMS OTP, desktop Instant Link with the status socket, customer-supplied bind. ${ok} ok, ${failed} failed, ${dropped} not started.`,
        `RSS trend over the second half: ${(slope * 60).toFixed(1)} MB/h (${growth.toFixed(1)} MB in ${spanMin.toFixed(1)} min; limit ${maxGrowthMb} MB) → ${pass ? 'PASS' : 'FAIL'}`,
      ],
      minutesAxis,
      [
        {
          title: 'Server RSS',
          unit: 'MB',
          tight: true,
          series: [{ label: 'RSS', color: '#1f77b4', values: rows.map((r) => r.rssMb) }],
          trend: { x0: xs[0]!, y0: intercept + slope * xs[0]!, x1: xs[xs.length - 1]!, y1: intercept + slope * xs[xs.length - 1]!, label: `second-half trend ${(slope * 60).toFixed(1)} MB/h` },
        },
        {
          title: 'C heap of the server (SQLite page cache, up to 16 MB, and other native memory)',
          unit: 'MB',
          series: [{ label: '[heap] RSS', color: '#1f77b4', values: rows.map((r) => r.nativeMb) }],
        },
        {
          title: 'Event-loop lag seen from outside: GET /healthz latency per interval',
          unit: 'ms',
          series: [
            { label: 'p50', color: '#2ca02c', values: rows.map((r) => r.lagP50) },
            { label: 'p99', color: '#ff7f0e', values: rows.map((r) => r.lagP99) },
          ],
        },
        { title: 'Open file descriptors of the server', unit: 'count', series: [{ label: 'fds', color: '#9467bd', values: rows.map((r) => r.fds) }] },
        {
          title: `Database size (${kind === 'sqlite' ? 'SQLite file; WAL + shm apart' : "the schema's tables and indexes"})`,
          unit: 'MB',
          series: [
            { label: 'data', color: '#8c564b', values: rows.map((r) => r.dbMb) },
            ...(kind === 'sqlite' ? [{ label: 'WAL', color: '#bcbd22', values: rows.map((r) => r.walMb) }] : []),
          ],
        },
        {
          title: 'Load',
          unit: 'flows/s, CPU %',
          series: [
            { label: 'flows ok/s', color: '#17becf', values: rows.map((r) => r.ok / perSecond) },
            { label: 'server CPU %', color: '#7f7f7f', values: rows.map((r) => r.cpuPct) },
          ],
        },
      ],
    );
    const pngPath = join(outDir, `soak-${kind}.png`);
    await svgToPng(svg, pngPath);
    console.log(`\n${csvPath}\n${pngPath}`);
    console.log(
      `${pass ? 'PASS' : 'FAIL'}: RSS slope over the second half ${(slope * 60).toFixed(2)} MB/h (fitted growth ${growth.toFixed(2)} MB in ${spanMin.toFixed(1)} min, limit ${maxGrowthMb} MB); ` +
        `${(failedShare * 100).toFixed(2)} % of ${total} flows failed`,
    );
    process.exitCode = pass ? 0 : 1;
  } finally {
    await instance.stop();
    await pgSize?.stop();
    await scratch?.drop();
    rmSync(tempDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
