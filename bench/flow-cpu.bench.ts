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
 *   node --import tsx bench/flow-cpu.bench.ts [--flows 2000] [--rounds 6] [--database URL] [TREE ...]
 *   (no TREE: this repository; a tree is a directory with the repository's layout, e.g. a
 *   `git worktree` or `git archive` export with node_modules linked in)
 *   node --cpu-prof --cpu-prof-dir=.tmp/prof --import tsx bench/flow-cpu.bench.ts --rounds 1 --flows 8000
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { load, makeKey, mobileFlow, type Tree } from './flows/inject-flow.js';
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

/** Runs `count` flows, `IN_FLIGHT` at a time; returns this process's CPU µs per flow. */
async function measure(tree: Tree, count: number): Promise<number> {
  const keys = Array.from({ length: count }, makeKey);
  let next = 0;
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) await mobileFlow(tree, keys[next++]!);
    }),
  );
  const used = process.cpuUsage(before);
  return (used.user + used.system) / count;
}


const loaded: Tree[] = [];
for (const [i, root] of trees.entries()) loaded.push(await load(root, i, options.database));
try {
  for (const tree of loaded) await measure(tree, Math.min(500, FLOWS)); // warm-up
  const results = new Map<Tree, number[]>(loaded.map((t) => [t, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? loaded : [...loaded].reverse();
    for (const tree of order) results.get(tree)!.push(await measure(tree, FLOWS));
    console.log(`round ${round + 1}: ${loaded.map((t) => `${t.name} ${results.get(t)!.at(-1)!.toFixed(0)} µs/flow`).join('; ')}`);
  }
  console.log(`\nmedian CPU per mobile flow (${FLOWS} flows × ${ROUNDS} rounds, ${IN_FLIGHT} in flight, inject):`);
  for (const tree of loaded) {
    const values = results.get(tree)!;
    console.log(`${tree.name}: median ${median(values).toFixed(0)} µs, min ${Math.min(...values).toFixed(0)} µs`);
  }
  if (loaded.length === 2) {
    const [a, b] = loaded.map((t) => results.get(t)!);
    const diffs = a!.map((v, i) => b![i]! - v);
    console.log(`second − first, per round: ${diffs.map((d) => d.toFixed(0)).join(', ')} µs; median ${median(diffs).toFixed(0)} µs`);
  }
} finally {
  for (const tree of loaded) await tree.stop();
}
