/**
 * Benchmark: what each fraud-policy signal added for issue 12 part B costs at a send, in CPU time
 * of this process, on the in-memory counter store a single SQLite instance uses. The baseline,
 * measured in the same run, is the existing send counter `sends_per_number_1h` (one counter
 * update); each signal family is printed as µs per send and as a ratio to that baseline. Rounds
 * are interleaved and the medians reported (the machine is shared and noisy). On PostgreSQL each
 * counter read or update is one statement in the step's transaction instead (not measured here).
 *
 *   node --import tsx bench/policy-signals.bench.ts      (SIGNALS_ROUNDS=5, SIGNALS_OPS=20000)
 */
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { conversionRates, countUse } from '../packages/server/src/policy/conversion.js';
import { countNumberChange, distinctNumbersPerDeviceKey, numberChanges } from '../packages/server/src/policy/session-facts.js';
import { spendBudget } from '../packages/server/src/policy/sms-budget.js';
import { verificationAttempts } from '../packages/server/src/policy/verification-attempts.js';
import { VelocityCounters } from '../packages/server/src/policy/velocity.js';
import { WindowCounters } from '../packages/server/src/policy/window-counters.js';

const ROUNDS = Number(process.env.SIGNALS_ROUNDS ?? 5);
const OPS = Number(process.env.SIGNALS_OPS ?? 20_000);
const prices = { default: 0.05, countries: { US: 0.0079, GB: 0.04 } };

const newCounters = (): WindowCounters =>
  new WindowCounters((spec) => new RateLimiterMemory({ keyPrefix: spec.name, points: spec.points, duration: spec.durationSeconds }));
const numberOf = (i: number): string => `+4477009${String(i % 100_000).padStart(5, '0')}`;

type Work = (c: WindowCounters, i: number) => Promise<unknown>;

const CASES: Record<string, Work> = {
  'baseline: sends_per_number_1h': (c, i) =>
    new VelocityCounters(c).count(['sends_per_number_1h'], { number: numberOf(i), country: 'GB', client: 'c', ip: null, device_key: null }),
  'verifications_per_number_1h + _24h (read at the send)': (c, i) =>
    verificationAttempts(c, ['verifications_per_number_1h', 'verifications_per_number_24h'], { number: numberOf(i), device_key: null }, 'read'),
  'verifications_per_number_1h + _24h (counted at the check)': (c, i) =>
    verificationAttempts(c, ['verifications_per_number_1h', 'verifications_per_number_24h'], { number: numberOf(i), device_key: null }, 'count'),
  'conversion_per_prefix_24h + _country_24h (read)': (c, i) =>
    conversionRates(c, ['conversion_per_prefix_24h', 'conversion_per_country_24h'], numberOf(i), 'GB', { sends_per_prefix_24h: 10, sends_per_country_24h: 10 }),
  'conversion: a use counted at a check (prefix + country)': (c, i) => countUse(c, ['conversion_per_prefix_24h', 'conversion_per_country_24h'], numberOf(i), 'GB'),
  'number_changes (read)': (c, i) => numberChanges(c, `session-${i}`),
  'number_changes (a change counted)': (c, i) => countNumberChange(c, `session-${i}`),
  distinct_numbers_per_device_key_24h: (c, i) => distinctNumbersPerDeviceKey(c, `dev-${i % 1000}`, numberOf(i)),
  'all four budget signals (spent, then given back)': async (c, i) => {
    const spend = await spendBudget(c, ['budget_client_count_used', 'budget_client_cost_used', 'budget_total_count_used', 'budget_total_cost_used'], {
      client: `c${i % 10}`,
      country: 'GB',
      now: Date.now(),
      prices,
    });
    await spend.giveBack();
  },
};

async function cpuPerOp(work: Work): Promise<number> {
  const counters = newCounters();
  const start = process.cpuUsage();
  for (let i = 0; i < OPS; i++) await work(counters, i);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / OPS;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const samples = new Map<string, number[]>(Object.keys(CASES).map((name) => [name, []]));
for (const work of Object.values(CASES)) await cpuPerOp(work); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, work] of Object.entries(CASES)) samples.get(name)!.push(await cpuPerOp(work));
}
const base = median(samples.get('baseline: sends_per_number_1h')!);
console.log(`policy signals, CPU per send, in-memory counters (${ROUNDS} rounds × ${OPS} ops, medians)`);
console.log('| signal | µs per send | ratio to baseline |\n| --- | ---: | ---: |');
for (const [name, xs] of samples) console.log(`| ${name} | ${median(xs).toFixed(2)} | ${(median(xs) / base).toFixed(2)} |`);
