/**
 * @module window-model
 * A reference model of the policy's fixed-window counters (policy/window-counters.ts), for the
 * property that compares `addMany` with it on both stores: a window starts at a key's first count,
 * lasts its length, and a count after it ends starts the next one at the points added.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { CounterAdd, WindowCounters } from '../../src/policy/window-counters.js';

export class FixedWindows {
  readonly #rows = new Map<string, { points: number; expire: number }>();

  add(counter: CounterAdd, now: number): number {
    const id = `${counter.name}:${counter.key}`;
    const points = counter.points ?? 1;
    const row = this.#rows.get(id);
    if (!row || row.expire <= now) {
      this.#rows.set(id, { points, expire: now + counter.seconds * 1000 });
      return points;
    }
    row.points += points;
    return row.points;
  }

  read(counter: CounterAdd, now: number): number {
    const row = this.#rows.get(`${counter.name}:${counter.key}`);
    return row && row.expire > now ? row.points : 0;
  }
}

/** Two counter names with their own windows (a name has one window), three keys. */
const COUNTERS = [
  { name: 'model:one_second', seconds: 1 },
  { name: 'model:two_seconds', seconds: 2 },
] as const;

export type ModelStep = { wait: number } | { batch: Array<{ counter: number; key: string; points: number }> };

/** Waits that land before, on and after a window's end, and batches that name a counter twice. */
export const modelSteps = fc.array(
  fc.oneof(
    fc.record({ wait: fc.oneof(fc.constantFrom(0, 1, 999, 1000, 2000), fc.integer({ min: 0, max: 2500 })) }),
    fc.record({
      batch: fc.array(fc.record({ counter: fc.integer({ min: 0, max: 1 }), key: fc.constantFrom('a', 'b', 'c'), points: fc.integer({ min: 0, max: 4 }) }), {
        minLength: 1,
        maxLength: 6,
      }),
    }),
  ),
  { minLength: 1, maxLength: 12 },
);

/**
 * Runs `steps` on `counters` and on the model: every batch's counts, then every counter's read,
 * must agree. `wait(ms)` moves the clock both see (mocked `Date`, and timers for the memory store);
 * `run` tells this run's counters apart from earlier runs' rows in a shared table.
 */
export async function checkAgainstModel(counters: WindowCounters, steps: ModelStep[], clock: { now(): number; wait(ms: number): void }, run: string): Promise<void> {
  const model = new FixedWindows();
  const counterOf = (s: { counter: number; key: string; points?: number }): CounterAdd => ({
    ...COUNTERS[s.counter]!,
    name: `${COUNTERS[s.counter]!.name}_${run}`,
    key: s.key,
    points: s.points,
  });
  const everyCounter = COUNTERS.flatMap((_, counter) => ['a', 'b', 'c'].map((key) => counterOf({ counter, key })));
  for (const step of steps) {
    if ('wait' in step) {
      clock.wait(step.wait);
      continue;
    }
    const batch = step.batch.map(counterOf);
    const expected = batch.map((c) => model.add(c, clock.now()));
    assert.deepEqual(await counters.addMany(batch), expected, `batch ${JSON.stringify(step.batch)}`);
    assert.deepEqual(
      await counters.readMany(everyCounter),
      everyCounter.map((c) => model.read(c, clock.now())),
      'reads after the batch',
    );
  }
}
