/**
 * Before/after on one machine: the `handset` bench server of two source trees (each its own
 * process pinned to core 0), `/v3/unify-status` and `/v3/unify` under autocannon, interleaved
 * rounds that alternate which tree goes first, next to the bare Fastify route. Besides req/s it
 * reads each server's CPU time from /proc around every measurement and reports server CPU per
 * request, which other load on a shared machine disturbs far less than throughput.
 *
 *   git archive <rev> | tar -x -C /tmp/before && ln -s "$PWD/node_modules" /tmp/before/node_modules
 *   (the same for /tmp/after, and packages/server/node_modules if it exists)
 *   BENCH_SECONDS=8 BENCH_ROUNDS=6 node --import tsx bench/compare-trees.bench.ts /tmp/before /tmp/after
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { cpuSeconds } from '../scripts/soak/process-stats.js';
import { median } from './support/stats.js';
import { measure, type Measured } from './unify.bench.js';

async function start(tree: string, kind: string): Promise<{ child: ChildProcess; info: { url: string; token?: string; correlationId?: string } }> {
  const child = spawn('taskset', ['-c', '0', process.execPath, '--import', 'tsx', `${tree}/bench/bench-server.ts`, kind], { stdio: ['ignore', 'pipe', 'inherit'], cwd: tree });
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`exited ${code}`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  return { child, info: JSON.parse(line) };
}

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const trees = { before: process.argv[2]!, after: process.argv[3]! };
const bare = await start(trees.after, 'bare');
const servers = { before: await start(trees.before, 'handset'), after: await start(trees.after, 'handset') };
const rows: Record<string, Measured[]> = {};
const cpu: Record<string, number[]> = {};
const add = (m: Measured): void => void (rows[m.name] ??= []).push(m);
try {
  for (let round = 0; round < rounds; round++) {
    add(await measure('bare', `${bare.info.url}/v3/unify-status`, JSON.stringify({ correlationId: 'x' })));
    const order = round % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const);
    for (const route of ['unify-status', 'unify'] as const) {
      for (const which of order) {
        const s = servers[which];
        const body = route === 'unify' ? JSON.stringify({ possessionType: 'mobile', phoneNumber: '+12025550100', clientRequestId: 'bench' }) : JSON.stringify({ correlationId: s.info.correlationId });
        const cpuBefore = cpuSeconds(s.child.pid!);
        const m = await measure(`${which} ${route}`, `${s.info.url}/v3/${route}`, body, { authorization: `Bearer ${s.info.token}` });
        add(m);
        // Server CPU per request: far less sensitive to other load on the machine than req/s.
        (cpu[m.name] ??= []).push(((cpuSeconds(s.child.pid!) - cpuBefore) * 1e6) / (m.rps * SECONDS));
      }
    }
    console.log(`round ${round + 1}:`, Object.entries(rows).map(([k, v]) => `${k}=${Math.round(v.at(-1)!.rps)}${cpu[k] ? ` (${cpu[k]!.at(-1)!.toFixed(1)} µs CPU/req)` : ''}`).join(' '));
  }
  console.log('\n| measurement | median req/s | p99 ms (median) | errors | runs (req/s) |');
  console.log('| --- | ---: | ---: | ---: | --- |');
  for (const [name, ms] of Object.entries(rows)) {
    console.log(`| ${name} | ${Math.round(median(ms.map((m) => m.rps)))} | ${median(ms.map((m) => m.p99))} | ${ms.reduce((a, m) => a + m.errors, 0)} | ${ms.map((m) => Math.round(m.rps)).join(', ')} |`);
  }
  for (const [name, values] of Object.entries(cpu)) console.log(`${name}: server CPU per request, median ${median(values).toFixed(1)} µs (${values.map((v) => v.toFixed(1)).join(', ')})`);
  for (const route of ['unify-status', 'unify']) {
    const cpuRatios = cpu[`after ${route}`]!.map((v, i) => v / cpu[`before ${route}`]![i]!);
    console.log(`${route}: CPU per request after/before per round ${cpuRatios.map((r) => r.toFixed(3)).join(', ')}; median ${median(cpuRatios).toFixed(3)}`);
    const ratios = rows[`after ${route}`]!.map((m, i) => m.rps / rows[`before ${route}`]![i]!.rps);
    console.log(`${route}: after/before per round ${ratios.map((r) => r.toFixed(3)).join(', ')}; median ${median(ratios).toFixed(3)}; ratio of medians ${(median(rows[`after ${route}`]!.map((m) => m.rps)) / median(rows[`before ${route}`]!.map((m) => m.rps))).toFixed(3)}`);
  }
} finally {
  bare.child.kill();
  servers.before.child.kill();
  servers.after.child.kill();
}
