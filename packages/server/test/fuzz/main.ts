/**
 * `npm run fuzz -- [--seed N] [--count N]`: the full fuzz run (default 20,000 requests, seed
 * 20260901) against a fresh test server; prints the figures and exits non-zero on any problem.
 * CI runs the first 2,000 of the same seed (fuzz.test.ts).
 */
import { parseArgs } from 'node:util';
import { startTestServer } from '../../src/testing.js';
import { FUZZ_SEED } from './seed.js';
import { describeProblems, runFuzz } from './runner.js';

const { values } = parseArgs({ options: { seed: { type: 'string' }, count: { type: 'string' } } });
const seed = Number(values.seed ?? FUZZ_SEED);
const count = Number(values.count ?? 20_000);
if (!Number.isInteger(seed) || !Number.isInteger(count) || count < 1) throw new Error('--seed and --count must be integers');

const server = await startTestServer();
try {
  const progress = process.stdout.isTTY ? (done: number) => process.stdout.write(`\r${done} / ${count}`) : undefined;
  const report = await runFuzz(server, { seed, count, onProgress: progress });
  const alive = (await fetch(`${server.url}/healthz`)).status === 200;
  if (progress) process.stdout.write('\n');
  console.log(`seed ${seed}: ${report.requests} requests in ${(report.ms / 1000).toFixed(1)} s`);
  console.log('statuses:', Object.entries(report.statuses).sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s}×${n}`).join(' '));
  console.log(`errors: ${report.errors}, of which {code, message}: ${report.errorShapeOk}, Instant Link HTML pages: ${report.htmlPages}`);
  console.log('no answer:', JSON.stringify(report.unanswered));
  console.log(`problems: ${report.problems.length}; server still healthy: ${alive}`);
  if (report.problems.length > 0) console.log(describeProblems(report, 50));
  process.exitCode = report.problems.length === 0 && alive ? 0 : 1;
} finally {
  await server.close();
}
