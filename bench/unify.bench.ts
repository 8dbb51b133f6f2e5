/**
 * Benchmark: `/v3/unify` and `/v3/unify-status` on the platform (SQLite) under concurrency 50,
 * next to a bare Fastify JSON route measured in the same run. Prints throughput, p99 and the
 * ratios against the bare route. Targets (issue 13): unify-status ≥ 0.6, unify ≥ 0.35. The same two
 * routes on the skeleton server (bench/flows/skeleton-server.ts, their required work alone) are
 * measured in the same rounds, as a second yardstick.
 *
 *   npm run bench            (BENCH_SECONDS=10 by default)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { DeviceKeyPool } from '../scripts/soak/device-key-pool.js';
import { deploy } from './flows/deployment.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 50;

interface Started {
  child: ChildProcess;
  info: { url: string; token?: string; correlationId?: string; database?: string };
}

/** Starts a bench server process (pinned to core 0 when taskset exists) and reads its JSON line. */
export async function startBenchServer(kind: string, env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const args = ['--import', 'tsx', new URL('./bench-server.ts', import.meta.url).pathname, kind];
  const child = spawn('taskset', ['-c', '0', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const line = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  return { child, info: JSON.parse(line) };
}

export interface Measured {
  name: string;
  rps: number;
  p99: number;
  errors: number;
}

/** One autocannon run of POST `url` with `body`: 50 connections for `seconds` (BENCH_SECONDS by default). */
export async function measure(name: string, url: string, body: string, headers: Record<string, string> = {}, seconds = SECONDS): Promise<Measured> {
  const result = await autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { name, rps: result.requests.average, p99: result.latency.p99, errors: result.non2xx + result.errors + result.timeouts };
}

export function report(rows: Measured[], baseline: Measured): void {
  console.log(`\nconcurrency ${CONNECTIONS}, ${SECONDS} s each, server pinned to core 0 (load generator on the other)`);
  console.log('| route | req/s | p99 (ms) | non-2xx/errors | ratio to bare |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(`| ${r.name} | ${Math.round(r.rps)} | ${r.p99} | ${r.errors} | ${(r.rps / baseline.rps).toFixed(2)} |`);
  }
}

/** The median of several rounds: this shared machine's speed drifts by tens of percent. */
function median(rows: Measured[]): Measured {
  const sorted = [...rows].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Skeleton {
  url: string;
  auth: Record<string, string>;
  statusBody: string;
  stop(): Promise<void>;
}

/** The skeleton server with a client, its bearer header and a session's status body. */
async function startSkeleton(unifyBody: string): Promise<Skeleton> {
  // Log level silent, as the Handset server of this benchmark (bench-server.ts).
  const deployment = await deploy('skeleton', { postgresUrl: '', logLevel: 'silent', keys: new DeviceKeyPool() });
  try {
    const url = deployment.instances[0]!.url;
    const auth = { authorization: `Bearer ${await deployment.target.backends[0]!.token()}` };
    const started = await fetch(`${url}/v3/unify`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: unifyBody });
    if (started.status !== 200) throw new Error(`the skeleton's /v3/unify answered ${started.status}`);
    const { correlationId } = (await started.json()) as { correlationId: string };
    return { url, auth, statusBody: JSON.stringify({ correlationId }), stop: () => deployment.stop() };
  } catch (error) {
    await deployment.stop();
    throw error;
  }
}

async function main(): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const bare = await startBenchServer('bare');
  const handset = await startBenchServer('handset');
  let skeleton: Skeleton | null = null;
  try {
    const statusBody = JSON.stringify({ correlationId: handset.info.correlationId });
    const unifyBody = JSON.stringify({ possessionType: 'mobile', phoneNumber: '+12025550100', clientRequestId: 'bench' });
    const auth = { authorization: `Bearer ${handset.info.token}` };
    const runs: Record<'baseline' | 'status' | 'unify' | 'skeletonStatus' | 'skeletonUnify', Measured[]> = { baseline: [], status: [], unify: [], skeletonStatus: [], skeletonUnify: [] };
    // The same two routes on the skeleton server (bench/flows/skeleton-server.ts): their required
    // work alone (bearer check, number, signature, insert or select, one log line), as a yardstick.
    skeleton = await startSkeleton(unifyBody);
    const { url: skeletonUrl, auth: skeletonAuth, statusBody: skeletonStatusBody } = skeleton;
    // Interleaved rounds, so a slow minute of the host hurts every route alike.
    for (let round = 0; round < rounds; round++) {
      runs.baseline.push(await measure('bare Fastify JSON route', `${bare.info.url}/v3/unify-status`, statusBody));
      runs.status.push(await measure('POST /v3/unify-status', `${handset.info.url}/v3/unify-status`, statusBody, auth));
      runs.unify.push(await measure('POST /v3/unify', `${handset.info.url}/v3/unify`, unifyBody, auth));
      runs.skeletonStatus.push(await measure('skeleton POST /v3/unify-status', `${skeletonUrl}/v3/unify-status`, skeletonStatusBody, skeletonAuth));
      runs.skeletonUnify.push(await measure('skeleton POST /v3/unify', `${skeletonUrl}/v3/unify`, unifyBody, skeletonAuth));
      const [b, st, u, kst, ku] = [runs.baseline, runs.status, runs.unify, runs.skeletonStatus, runs.skeletonUnify].map((r) => r.at(-1)!) as Measured[] as [Measured, Measured, Measured, Measured, Measured];
      const ratio = (m: Measured): string => `${Math.round(m.rps)} (${(m.rps / b.rps).toFixed(2)})`;
      console.log(`round ${round + 1}: bare ${Math.round(b.rps)} req/s, unify-status ${ratio(st)}, unify ${ratio(u)}; skeleton unify-status ${ratio(kst)}, unify ${ratio(ku)}`);
    }
    const baseline = median(runs.baseline);
    const status = median(runs.status);
    const unify = median(runs.unify);
    const skeletonStatus = median(runs.skeletonStatus);
    const skeletonUnify = median(runs.skeletonUnify);
    console.log(`\nmedian of ${rounds} interleaved rounds`);
    report([baseline, status, unify, skeletonStatus, skeletonUnify], baseline);
    console.log(`\nunify-status ratio ${(status.rps / baseline.rps).toFixed(2)} (target ≥ 0.6); unify ratio ${(unify.rps / baseline.rps).toFixed(2)} (target ≥ 0.35)`);
    console.log(`skeleton: unify-status ratio ${(skeletonStatus.rps / baseline.rps).toFixed(2)}; unify ratio ${(skeletonUnify.rps / baseline.rps).toFixed(2)}`);
  } finally {
    bare.child.kill();
    handset.child.kill();
    await skeleton?.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
