/**
 * Benchmark: the default policy's four send counters (`sends_per_number_1h/24h`,
 * `sends_per_prefix_1h/24h`) counted at a send on PostgreSQL, in a transaction as the send step
 * does, this process's CPU per send: one RateLimiterPostgres upsert per counter (`one by one`, the
 * path before `WindowCounters.addMany` had a batch) against one multi-row upsert (`one statement`,
 * http/limiter-batch.ts), and a transaction that counts nothing (`begin + commit`) for scale.
 * Interleaved rounds, alternating which case goes first; medians and the same-run ratio. Whole-flow
 * CPU (bench/flow-cpu.bench.ts) moves by more than this difference between rounds on a shared
 * machine, so the change is measured here on its own.
 *
 *   node --import tsx bench/policy-counters-pg.bench.ts --database URL [--rounds 8] [--sends 2000] [--in-flight 20]
 *   (URL: a PostgreSQL database; a scratch schema is created in it and dropped afterwards)
 */
import { parseArgs } from 'node:util';
import { postgresLimiterBatch } from '../packages/server/src/http/limiter-batch.js';
import { limiterStore } from '../packages/server/src/http/limiter-store.js';
import { VelocityCounters } from '../packages/server/src/policy/velocity.js';
import { WindowCounters } from '../packages/server/src/policy/window-counters.js';
import { migrateToLatest, openDatabase } from '../packages/server/src/store/database.js';
import type { Executor } from '../packages/server/src/store/executor.js';
import { createScratchSchema } from '../packages/server/src/store/scratch-schema.js';
import { median } from './support/stats.js';

const { values: options } = parseArgs({
  options: {
    database: { type: 'string' },
    rounds: { type: 'string', default: '8' },
    sends: { type: 'string', default: '2000' },
    'in-flight': { type: 'string', default: '20' },
  },
});
if (!options.database) throw new Error('usage: policy-counters-pg.bench.ts --database postgres://…');
const ROUNDS = Number(options.rounds);
const SENDS = Number(options.sends);
const IN_FLIGHT = Number(options['in-flight']);
const SIGNALS = ['sends_per_number_1h', 'sends_per_number_24h', 'sends_per_prefix_1h', 'sends_per_prefix_24h'] as const;

let sequence = 0;
/** A number in a range of its own, as a flow of bench/flow-cpu.bench.ts has. */
const nextNumber = (): string => `+1202${String(sequence++).padStart(6, '0')}0000`;

type Case = (trx: Executor) => Promise<unknown>;
const sendKeys = () => ({ number: nextNumber(), country: 'US', client: 'bench', ip: null, device_key: null });
const CASES: Record<string, Case> = {
  'begin + commit': async () => undefined,
  'one by one': (trx) => new VelocityCounters(new WindowCounters(limiterStore({ kysely: trx, dialect: 'postgres' }))).count(SIGNALS, sendKeys()),
  'one statement': (trx) =>
    new VelocityCounters(new WindowCounters(limiterStore({ kysely: trx, dialect: 'postgres' }), postgresLimiterBatch(trx))).count(SIGNALS, sendKeys()),
};

const scratch = await createScratchSchema(options.database, 'hs_bench');
const db = openDatabase(scratch.url);
try {
  await migrateToLatest(db);
  const measure = async (work: Case): Promise<number> => {
    let left = SENDS;
    const before = process.cpuUsage();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (left-- > 0) await db.kysely.transaction().execute(work);
      }),
    );
    const used = process.cpuUsage(before);
    return (used.user + used.system) / SENDS;
  };
  const names = Object.keys(CASES);
  for (const name of names) await measure(CASES[name]!); // warm-up: connections, JIT
  const results = new Map(names.map((n) => [n, [] as number[]]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) results.get(name)!.push(await measure(CASES[name]!));
    console.log(`round ${round + 1}: ${names.map((n) => `${n} ${results.get(n)!.at(-1)!.toFixed(0)} µs`).join('; ')}`);
  }
  console.log(`\nCPU µs per send (${SENDS} sends × ${ROUNDS} rounds, ${IN_FLIGHT} in flight), median (min):`);
  for (const name of names) console.log(`${name}: ${median(results.get(name)!).toFixed(0)} (${Math.min(...results.get(name)!).toFixed(0)})`);
  const [base, single, batch] = names.map((n) => results.get(n)!);
  const ratios = batch!.map((v, i) => v / single![i]!);
  const counterRatios = batch!.map((v, i) => (v - base![i]!) / (single![i]! - base![i]!));
  console.log(`one statement / one by one, per round: ${ratios.map((r) => r.toFixed(2)).join(', ')}; median ${median(ratios).toFixed(2)}`);
  console.log(`the counters alone (less begin + commit), per round: ${counterRatios.map((r) => r.toFixed(2)).join(', ')}; median ${median(counterRatios).toFixed(2)}`);
} finally {
  await db.close();
  await scratch.drop();
}
