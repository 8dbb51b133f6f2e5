/**
 * The policy counters' batch methods (`addMany`, `readMany`, `removeMany`, policy/window-counters.ts)
 * on the in-memory store SQLite deployments count in: the same counts as the single-key methods one
 * after the other, across a window's end (mocked clock and timers), and against a reference model
 * of fixed windows (property). The PostgreSQL statement is covered by
 * test/multi-instance/policy-counters-postgres.test.ts.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import fc from 'fast-check';
import { limiterStore } from '../../src/http/limiter-store.js';
import { WindowCounters, type CounterAdd } from '../../src/policy/window-counters.js';
import { checkAgainstModel, modelSteps } from '../support/window-model.js';

const inMemory = (): WindowCounters => new WindowCounters(limiterStore({ kysely: null as never, dialect: 'sqlite' }));
const HOUR: CounterAdd = { name: 'test:hour', seconds: 3600, key: 'k' };

describe('policy counters in batches, in memory', () => {
  beforeEach(() => mock.timers.enable({ apis: ['Date', 'setTimeout'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it('addMany counts as add would one after the other, a counter named twice included', async () => {
    const batch: CounterAdd[] = [HOUR, { ...HOUR, key: 'other' }, { ...HOUR, points: 3 }, { name: 'test:day', seconds: 86_400, key: 'k', points: 0 }];
    const [one, many] = [inMemory(), inMemory()];
    const expected: number[] = [];
    for (const c of batch) expected.push(await one.add(c.name, c.seconds, c.key, c.points));
    assert.deepEqual(expected, [1, 1, 4, 0]);
    assert.deepEqual(await many.addMany(batch), expected);
    assert.deepEqual(await many.readMany(batch), [4, 1, 4, 0]);
  });

  it('a window that ended starts again at the points added', async () => {
    const counters = inMemory();
    assert.deepEqual(await counters.addMany([HOUR, HOUR]), [1, 2]);
    mock.timers.tick(3_599_999);
    assert.deepEqual(await counters.addMany([HOUR]), [3]);
    mock.timers.tick(1);
    assert.deepEqual(await counters.readMany([HOUR]), [0]);
    assert.deepEqual(await counters.addMany([{ ...HOUR, points: 2 }, HOUR]), [2, 3]);
  });

  it('removeMany takes points back from each counter', async () => {
    const counters = inMemory();
    await counters.addMany([{ ...HOUR, points: 5 }, { ...HOUR, key: 'other', points: 2 }]);
    await counters.removeMany([{ ...HOUR, points: 2 }, { ...HOUR, key: 'other' }]);
    assert.deepEqual(await counters.readMany([HOUR, { ...HOUR, key: 'other' }, { ...HOUR, key: 'never' }]), [3, 1, 0]);
  });

  it('an empty batch counts and reads nothing', async () => {
    const counters = inMemory();
    assert.deepEqual(await counters.addMany([]), []);
    assert.deepEqual(await counters.readMany([]), []);
  });

  it('property: addMany and readMany agree with a model of fixed windows', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(modelSteps, async (steps) => {
        mock.timers.reset();
        mock.timers.enable({ apis: ['Date', 'setTimeout'], now: 1_000_000 });
        const clock = { now: () => Date.now(), wait: (ms: number) => mock.timers.tick(ms) };
        await checkAgainstModel(inMemory(), steps, clock, String(run++));
      }),
      { numRuns: 200 },
    );
  });
});
