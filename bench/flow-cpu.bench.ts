/**
 * The server's CPU per whole mobile flow, in one process, for before/after comparisons of the
 * server's code (issue 13 item 3). The six requests of `npm run bench:flows`'s `mobile-otp` flow
 * go through Fastify's `inject()` (no sockets, no load-generator process competing for the core),
 * 50 flows in flight; the device keys are made before the clock starts. Several source trees can be
 * loaded side by side (each its own copy of the server's modules; node_modules shared) and are
 * measured in interleaved rounds, alternating which goes first; the figure per tree is the median
 * of its rounds, and the difference between trees is in µs of this process's CPU per flow.
 *
 * What it leaves out: HTTP parsing and socket writes (the same in every tree). What it includes
 * that the server does not do: inject's own request objects and the test's client work (the same
 * for every tree, so it cancels out of a difference). Log level `info` into /dev/null, as deployed.
 *
 * With `--database postgres://…` on a local PostgreSQL it also reports PostgreSQL's CPU per flow
 * (every `postgres` process's CPU from /proc, pid by pid, around each measurement: nothing else
 * may use that server meanwhile).
 *
 *   node --import tsx bench/flow-cpu.bench.ts [--flows 2000] [--rounds 6] [--database URL] [TREE ...]
 *   (no TREE: this repository; a tree is a directory with the repository's layout, e.g. a
 *   `git worktree` or `git archive` export with node_modules linked in)
 *   node --cpu-prof --cpu-prof-dir=.tmp/prof --import tsx bench/flow-cpu.bench.ts --rounds 1 --flows 8000
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { load, makeKey, mobileFlow, type Tree } from './flows/inject-flow.js';
import { cpuSeconds } from '../scripts/soak/process-stats.js';
import { median } from './support/stats.js';

const { values: options, positionals } = parseArgs({
  options: {
    flows: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '6' },
    'in-flight': { type: 'string', default: '50' },
    database: { type: 'string' },
  },
  allowPositionals: true,
});
const FLOWS = Number(options.flows);
const ROUNDS = Number(options.rounds);
const IN_FLIGHT = Number(options['in-flight']);
const trees = positionals.length > 0 ? positionals.map((p) => resolve(p)) : [resolve(import.meta.dirname, '..')];

/**
 * CPU seconds of every local PostgreSQL process by pid (empty when PostgreSQL runs elsewhere or
 * the mode is SQLite): backends come and go, so a difference is taken pid by pid.
 */
function postgresCpu(): Map<number, number> {
  if (!options.database) return new Map();
  let pids: number[];
  try {
    pids = execFileSync('pgrep', ['-u', 'postgres'], { encoding: 'utf8' }).trim().split('\n').map(Number);
  } catch {
    return new Map();
  }
  return new Map(pids.flatMap((pid): [number, number][] => {
    try {
      return [[pid, cpuSeconds(pid)]];
    } catch {
      return [];
    }
  }));
}

interface Measured {
  /** This process's CPU µs per flow. */
  handset: number;
  /** Local PostgreSQL's CPU µs per flow, or null without one. */
  postgres: number | null;
}

/** Runs `count` flows, `IN_FLIGHT` at a time. */
async function measure(tree: Tree, count: number): Promise<Measured> {
  const keys = Array.from({ length: count }, makeKey);
  let next = 0;
  const pgBefore = postgresCpu();
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) await mobileFlow(tree, keys[next++]!);
    }),
  );
  const used = process.cpuUsage(before);
  const pgAfter = postgresCpu();
  const pgSeconds = [...pgAfter].reduce((sum, [pid, cpu]) => sum + cpu - (pgBefore.get(pid) ?? 0), 0);
  return { handset: (used.user + used.system) / count, postgres: pgAfter.size > 0 ? (pgSeconds * 1e6) / count : null };
}


const loaded: Tree[] = [];
for (const [i, root] of trees.entries()) loaded.push(await load(root, i, options.database));
try {
  for (const tree of loaded) await measure(tree, Math.min(500, FLOWS)); // warm-up
  const results = new Map<Tree, Measured[]>(loaded.map((t) => [t, []]));
  const shown = (m: Measured): string => `${m.handset.toFixed(0)} µs/flow${m.postgres === null ? '' : ` (PostgreSQL ${m.postgres.toFixed(0)})`}`;
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? loaded : [...loaded].reverse();
    for (const tree of order) results.get(tree)!.push(await measure(tree, FLOWS));
    console.log(`round ${round + 1}: ${loaded.map((t) => `${t.name} ${shown(results.get(t)!.at(-1)!)}`).join('; ')}`);
  }
  console.log(`\nmedian CPU per mobile flow (${FLOWS} flows × ${ROUNDS} rounds, ${IN_FLIGHT} in flight, inject):`);
  for (const tree of loaded) {
    const values = results.get(tree)!.map((m) => m.handset);
    const pg = results.get(tree)!.flatMap((m) => (m.postgres === null ? [] : [m.postgres]));
    const pgText = pg.length > 0 ? `; local PostgreSQL median ${median(pg).toFixed(0)} µs, min ${Math.min(...pg).toFixed(0)} µs` : '';
    console.log(`${tree.name}: median ${median(values).toFixed(0)} µs, min ${Math.min(...values).toFixed(0)} µs${pgText}`);
  }
  if (loaded.length === 2) {
    const [a, b] = loaded.map((t) => results.get(t)!);
    const diffs = a!.map((v, i) => b![i]!.handset - v.handset);
    console.log(`second − first, per round: ${diffs.map((d) => d.toFixed(0)).join(', ')} µs; median ${median(diffs).toFixed(0)} µs`);
    if (a![0]!.postgres !== null) {
      const pgDiffs = a!.map((v, i) => b![i]!.postgres! - v.postgres!);
      console.log(`PostgreSQL, second − first, per round: ${pgDiffs.map((d) => d.toFixed(0)).join(', ')} µs; median ${median(pgDiffs).toFixed(0)} µs`);
    }
  }
} finally {
  for (const tree of loaded) await tree.stop();
}
