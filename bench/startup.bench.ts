/**
 * @module startup.bench
 * Start-up of `handset serve`, from spawning the process to its "handset is listening" log line:
 *
 * - **source**: the repository's bin, which compiles the TypeScript sources through tsx (how every
 *   `handset` ran before the packages were built);
 * - **built**: the same bin laid out as in the published package (bin/ next to dist/, no src/), so
 *   it imports the built JavaScript with no TypeScript loader.
 *
 * Both on an in-memory SQLite database (migrations run at start), alternating, `--runs` times each
 * (default 7). Prints every run, the median, the minimum and the ratio of the medians, for the
 * wall time and for the CPU time the process had used when it logged (user + system, from
 * /proc/<pid>/stat), which a busy shared machine disturbs far less than the wall time.
 *
 *   npm run bench:startup [-- --runs 11]
 *
 * Builds @handset/protocol and @handset/server first (scripts/build.mjs). Figures: bench/README.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@handset/server/testing';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = process.argv.indexOf('--runs');
const RUNS = at > 0 ? Number(process.argv[at + 1]) : 7;

/** CPU milliseconds (user + system) a process has used so far; clock ticks are 1/100 s on Linux. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Wall and CPU milliseconds from spawn to the listening line of `handset serve`. */
async function startOnce(bin: string): Promise<{ wall: number; cpu: number }> {
  const port = await freePort();
  const args = [bin, 'serve', '--dev', '--port', String(port), '--host', '127.0.0.1', '--database', ':memory:', '--public-url', `http://127.0.0.1:${port}`];
  const env: NodeJS.ProcessEnv = { ...process.env, HANDSET_LOG_LEVEL: 'info' };
  delete env.NODE_OPTIONS;
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const elapsed = await new Promise<{ wall: number; cpu: number }>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('"handset is listening"')) resolve({ wall: Number(process.hrtime.bigint() - started) / 1e6, cpu: cpuMs(child.pid!) });
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`handset serve exited with ${code}:\n${output}`)));
  });
  child.removeAllListeners('exit');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  return elapsed;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), 'protocol', 'server'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

// The published layout: package.json, bin/ and dist/ (a link to the build), no src/.
const layout = mkdtempSync(join(tmpdir(), 'handset-startup-'));
mkdirSync(join(layout, 'bin'));
copyFileSync(join(root, 'packages/server/bin/handset.mjs'), join(layout, 'bin/handset.mjs'));
copyFileSync(join(root, 'packages/server/package.json'), join(layout, 'package.json'));
symlinkSync(join(root, 'packages/server/dist'), join(layout, 'dist'));

const bins = { source: join(root, 'packages/server/bin/handset.mjs'), built: join(layout, 'bin/handset.mjs') };
type Kind = keyof typeof bins;
const times: Record<Kind, { wall: number[]; cpu: number[] }> = { source: { wall: [], cpu: [] }, built: { wall: [], cpu: [] } };
try {
  for (let run = 1; run <= RUNS; run += 1) {
    for (const kind of ['source', 'built'] as const) {
      const { wall, cpu } = await startOnce(bins[kind]);
      times[kind].wall.push(wall);
      times[kind].cpu.push(cpu);
      console.log(`run ${run} ${kind.padEnd(6)} wall ${wall.toFixed(0).padStart(5)} ms   cpu ${cpu.toFixed(0).padStart(5)} ms`);
    }
  }
} finally {
  rmSync(layout, { recursive: true, force: true });
}
const line = (kind: Kind, what: 'wall' | 'cpu') =>
  `median ${median(times[kind][what]).toFixed(0)} ms, min ${Math.min(...times[kind][what]).toFixed(0)} ms`;
const ratio = (what: 'wall' | 'cpu') => (median(times.source[what]) / median(times.built[what])).toFixed(2);
console.log(`\nsource (tsx): wall ${line('source', 'wall')}; cpu ${line('source', 'cpu')}`);
console.log(`built (JS):   wall ${line('built', 'wall')}; cpu ${line('built', 'cpu')}`);
console.log(`ratio source/built over ${RUNS} runs each (medians): wall ${ratio('wall')}x, cpu ${ratio('cpu')}x`);
