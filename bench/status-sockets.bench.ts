/**
 * Waiting desktops (issue 13): `npm run bench:sockets [-- options]`.
 *
 * One `handset serve` process on a SQLite file (pinned to core 0; this process, the load
 * generator, to core 1) gets `--sockets` desktop sessions, each with its Instant Link sent (as a
 * desktop waiting for the phone is), and one status socket per session, all open at once. Then:
 *
 * - **memory per socket**: the server's `process.memoryUsage()` after a full GC (read through
 *   bench/support/memory-probe-preload.mjs, so the server gains no route for it) before and after
 *   the sockets are opened, the difference divided by the sockets (RSS, V8 heap used, external);
 * - **idle cost**: the server's CPU time over `--idle-seconds` with every socket waiting (each
 *   socket re-reads its session every 15 s as a safety net for a missed event);
 * - **release**: `--sample` of the sessions, spread over all of them, get their link opened
 *   (`--release-concurrency` at a time) while every other socket stays open: the time from the
 *   link's request to the `{"next":"done"}` frame on its socket, p50/p99 (and from the link's 302
 *   answer to the frame).
 *
 * Targets: ≤ 10 KB per socket, release p99 ≤ 50 ms. Client sockets come from `--addresses` local
 * addresses 127.0.0.2… (each address has its own ~28,000 ephemeral ports). Prints a table and
 * writes every figure as JSON under bench/out/.
 *
 * Options: --sockets 10000, --sample 200, --release-concurrency 10, --idle-seconds 16,
 * --addresses 4, --log-level info, --heap-snapshot DIR (heap snapshots at both memory readings),
 * --out FILE.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ClientPath, PA_VERSION, type UnifyResponse } from '@handset/protocol';
import { createClientWithCli, startInstance, type Instance } from '../packages/server/test/support/instances.js';
import { Backend } from '../packages/server/test/support/server-api.js';
import { phoneFor } from '../scripts/soak/flows.js';
import { JsonHttp } from '../scripts/soak/json-http.js';
import { cpuSeconds } from '../scripts/soak/process-stats.js';
import { WaitingDesktop } from '../scripts/soak/status-socket-client.js';
import { sqliteOutbox } from './flows/outbox-reader.js';
import { MemoryProbe, type MemoryReading } from './sockets/memory-probe.js';
import { quantile } from './support/stats.js';

const { values: options } = parseArgs({
  options: {
    sockets: { type: 'string', default: '10000' },
    sample: { type: 'string', default: '200' },
    'release-concurrency': { type: 'string', default: '10' },
    'idle-seconds': { type: 'string', default: '16' },
    addresses: { type: 'string', default: '4' },
    'log-level': { type: 'string', default: 'info' },
    'heap-snapshot': { type: 'string' },
    out: { type: 'string' },
  },
});

function whole(name: string, value: string | undefined, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number ≥ ${min}, got ${value}`);
  return n;
}

const socketCount = whole('sockets', options.sockets, 1);
const sampleCount = Math.min(socketCount, whole('sample', options.sample, 1));
const releaseConcurrency = whole('release-concurrency', options['release-concurrency'], 1);
const idleSeconds = Number(options['idle-seconds']);
if (!Number.isFinite(idleSeconds) || idleSeconds < 0) throw new Error(`--idle-seconds must be ≥ 0, got ${options['idle-seconds']}`);
const addressCount = whole('addresses', options.addresses, 1);
const SETUP_CONCURRENCY = 50;
const OPEN_CONCURRENCY = 100;

/** Runs `task(i)` for i in [0, count) with `concurrency` at a time. */
async function forEach(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

function fdLimit(): number {
  const result = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
  return Number(result.stdout.trim());
}

interface Waiting {
  authToken: string;
  correlationId: string;
  socket: WaitingDesktop | null;
}

const kb = (bytes: number): string => (bytes / 1024).toFixed(2);
const ms = (n: number): string => n.toFixed(1);

function latency(samples: number[]): { count: number; p50: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { count: sorted.length, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? NaN };
}

async function main(): Promise<void> {
  const limit = fdLimit();
  // Client and server are separate processes: each needs one descriptor per socket and some spare.
  if (limit < socketCount + 1000) throw new Error(`ulimit -n is ${limit}: ${socketCount} sockets need ≥ ${socketCount + 1000} (raise it with ulimit -n)`);
  const dir = mkdtempSync(join(tmpdir(), 'handset-bench-sockets-'));
  const snapshotDir = options['heap-snapshot'] ? resolve(options['heap-snapshot']) : undefined;
  if (snapshotDir) mkdirSync(snapshotDir, { recursive: true });
  const probe = new MemoryProbe(dir, snapshotDir);
  const database = join(dir, 'handset.db');
  const http = new JsonHttp();
  const waiting: Waiting[] = [];
  let instance: Instance | null = null;
  let reader: ReturnType<typeof sqliteOutbox> | null = null;
  const load = { start: loadavg(), end: [] as number[] };
  try {
    instance = await startInstance(database, { HANDSET_LOG_LEVEL: options['log-level'], ...probe.env() });
    const pid = instance.process.pid!;
    probe.attach(pid);
    const pinned = spawnSync('taskset', ['-a', '-cp', '0', String(pid)], { stdio: 'ignore' }).status === 0;
    const selfPinned = spawnSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' }).status === 0;
    console.log(`handset serve (SQLite, pid ${pid}): ${pinned ? 'pinned to core 0 (taskset)' : 'NOT pinned'}; load generator (pid ${process.pid}): ${selfPinned ? 'pinned to core 1' : 'NOT pinned'}`);
    console.log(`${cpus().length} CPUs; load average at start ${load.start.map((x) => x.toFixed(2)).join(' ')}; ulimit -n ${limit}; ${socketCount} sockets from ${addressCount} local address(es); log level ${options['log-level']}`);

    const client = await createClientWithCli(database, 'bench-sockets');
    const backend = new Backend(instance.url, client.clientId, client.clientSecret);
    const token = await backend.token();
    const url = instance.url;
    reader = sqliteOutbox(database);

    // Every desktop's session, with its Instant Link sent: what a desktop waiting for the phone has.
    const setupStarted = performance.now();
    await forEach(socketCount, SETUP_CONCURRENCY, async (i) => {
      const unify = await http.post<UnifyResponse>(url, '/v3/unify', JSON.stringify({ clientRequestId: 'bench', possessionType: 'desktop', phoneNumber: phoneFor(i), finalTargetUrl: 'https://bench.example/done' }), {
        authorization: `Bearer ${token}`,
      });
      if (unify.status !== 200 || !unify.body.authToken) throw new Error(`unify failed: ${unify.status} ${JSON.stringify(unify.body)}`);
      const headers = { accept: 'application/json', 'pa-version': PA_VERSION, authorization: `Bearer ${unify.body.authToken}` };
      const link = await http.post<{ next?: string }>(url, ClientPath.MOBILE_INSTANTLINK_START, '{"sourceIp":null,"isMobile":false}', headers);
      if (link.status !== 200) throw new Error(`instant link start failed: ${link.status} ${JSON.stringify(link.body)}`);
      waiting[i] = { authToken: unify.body.authToken, correlationId: unify.body.correlationId, socket: null };
    });
    http.close(); // no idle keep-alive connections in the memory figures
    console.log(`${socketCount} desktop sessions with their link sent in ${((performance.now() - setupStarted) / 1000).toFixed(1)} s`);

    const before = await probe.read();
    const openTimes: number[] = [];
    const openStarted = performance.now();
    await forEach(socketCount, OPEN_CONCURRENCY, async (i) => {
      const t = performance.now();
      waiting[i]!.socket = await WaitingDesktop.open(url, waiting[i]!.authToken, { localAddress: `127.0.0.${2 + (i % addressCount)}` });
      openTimes.push(performance.now() - t);
    });
    const openSeconds = (performance.now() - openStarted) / 1000;
    console.log(`${socketCount} status sockets open in ${openSeconds.toFixed(1)} s`);
    const serverFds = readdirSync(`/proc/${pid}/fd`).length;

    // Idle: every socket waiting; the server's only work is each socket's 15-s safety re-read.
    const idleCpuBefore = cpuSeconds(pid);
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const idleCpu = cpuSeconds(pid) - idleCpuBefore;
    const after = await probe.read();
    const stillOpen = waiting.filter((w) => w.socket?.socket.readyState === 1).length;
    if (stillOpen !== socketCount) throw new Error(`${socketCount - stillOpen} sockets closed while waiting`);

    // Release a sample spread over all sessions, the others staying open.
    const step = socketCount / sampleCount;
    const sample = Array.from({ length: sampleCount }, (_, k) => waiting[Math.floor(k * step)]!);
    const links = await Promise.all(sample.map(async (w) => (await reader!.sms('', w.correlationId)).linkPath));
    const release: number[] = [];
    const afterAnswer: number[] = [];
    let failures = 0;
    let firstFailure: string | null = null;
    const releaseHttp = new JsonHttp();
    await forEach(sampleCount, releaseConcurrency, async (k) => {
      try {
        const socket = sample[k]!.socket!;
        const t = performance.now();
        const status = await releaseHttp.get(url + (links[k] ?? ''));
        const answered = performance.now();
        const frame = await socket.next(30_000);
        const done = performance.now();
        if (status !== 302 || frame !== '{"next":"done"}') throw new Error(`link ${status}, frame ${frame}`);
        release.push(done - t);
        afterAnswer.push(done - answered);
      } catch (error) {
        failures += 1;
        firstFailure ??= (error as Error).message;
      }
    });
    releaseHttp.close();
    load.end = loadavg();

    const perSocket = (key: keyof Omit<MemoryReading, 'snapshot'>): number => (after[key] - before[key]) / socketCount;
    const result = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      loadAverage: load,
      sockets: socketCount,
      addresses: addressCount,
      pinned,
      logLevel: options['log-level'],
      serverFds,
      memory: { before, after },
      perSocketBytes: { rss: perSocket('rss'), heapUsed: perSocket('heapUsed'), external: perSocket('external'), arrayBuffers: perSocket('arrayBuffers') },
      open: { seconds: openSeconds, ...latency(openTimes) },
      idle: { seconds: idleSeconds, serverCpuSeconds: idleCpu, serverCoreBusy: idleSeconds > 0 ? idleCpu / idleSeconds : null },
      release: { sample: sampleCount, concurrency: releaseConcurrency, failures, firstFailure, fromLinkRequest: latency(release), fromLinkAnswer: latency(afterAnswer) },
    };
    console.log(`\nserver with ${socketCount} waiting desktops: ${serverFds} open descriptors`);
    console.log('\n| server memory after a full GC | before | after | per socket | target |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    console.log(`| RSS | ${(before.rss / 2 ** 20).toFixed(1)} MB | ${(after.rss / 2 ** 20).toFixed(1)} MB | ${kb(result.perSocketBytes.rss)} KB | ≤ 10 KB |`);
    console.log(`| V8 heap used | ${(before.heapUsed / 2 ** 20).toFixed(1)} MB | ${(after.heapUsed / 2 ** 20).toFixed(1)} MB | ${kb(result.perSocketBytes.heapUsed)} KB | |`);
    console.log(`| external (buffers) | ${(before.external / 2 ** 20).toFixed(1)} MB | ${(after.external / 2 ** 20).toFixed(1)} MB | ${kb(result.perSocketBytes.external)} KB | |`);
    console.log(`\nopening: ${openSeconds.toFixed(1)} s for ${socketCount} (${OPEN_CONCURRENCY} at a time), each p50 ${ms(result.open.p50)} / p99 ${ms(result.open.p99)} ms`);
    console.log(`idle: ${(100 * (result.idle.serverCoreBusy ?? NaN)).toFixed(1)} % of the server core over ${idleSeconds} s with every socket waiting`);
    console.log(
      `release of ${sampleCount} (${releaseConcurrency} at a time, ${socketCount} open): link request → {"next":"done"} p50 ${ms(result.release.fromLinkRequest.p50)} / p99 ${ms(result.release.fromLinkRequest.p99)} ms (target p99 ≤ 50 ms); link answer → frame p50 ${ms(result.release.fromLinkAnswer.p50)} / p99 ${ms(result.release.fromLinkAnswer.p99)} ms; ${failures} failed${firstFailure ? ` (first: ${firstFailure})` : ''}`,
    );
    console.log(`load average at end ${load.end.map((x) => x.toFixed(2)).join(' ')}`);
    if (snapshotDir) console.log(`heap snapshots: ${before.snapshot}, ${after.snapshot}`);
    const out = options.out ? resolve(options.out) : fileURLToPath(new URL(`./out/sockets-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, import.meta.url));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`JSON: ${out}`);
    if (failures > 0) process.exitCode = 1;
  } finally {
    for (const w of waiting) w?.socket?.socket.terminate();
    http.close();
    await reader?.close();
    await instance?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
