/**
 * The policy counters' one-statement batches on PostgreSQL (http/limiter-batch.ts behind
 * `WindowCounters.addMany` / `readMany` / `removeMany`), on a real `rate_limits` table: the same
 * counts as rate-limiter-flexible's single-key upserts (RateLimiterPostgres) one after the other,
 * across a window's end (mocked `Date`, the clock both read), rows shared with the single-key
 * path, a counter named twice in one batch, two instances counting the same keys at once in
 * transactions (no count lost, no deadlock), a rolled-back step counting nothing, and a property
 * against a reference model of fixed windows.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it, mock } from 'node:test';
import fc from 'fast-check';
import { postgresLimiterBatch } from '../../src/http/limiter-batch.js';
import { limiterStore } from '../../src/http/limiter-store.js';
import { WindowCounters, type CounterAdd } from '../../src/policy/window-counters.js';
import { migrateToLatest, openDatabase, type Db } from '../../src/store/database.js';
import type { Executor } from '../../src/store/executor.js';
import { createScratchSchema, type ScratchSchema } from '../../src/store/scratch-schema.js';
import { multiInstanceDatabase } from '../support/instances.js';
import { checkAgainstModel, modelSteps } from '../support/window-model.js';

const database = multiInstanceDatabase();

/** The counters a step gets on PostgreSQL (policy/policy-counters.ts), on `kysely`. */
const batched = (kysely: Executor): WindowCounters => new WindowCounters(limiterStore({ kysely, dialect: 'postgres' }), postgresLimiterBatch(kysely));
/** The same without the batch: every counter its own RateLimiterPostgres upsert, as before. */
const oneByOne = (kysely: Executor): WindowCounters => new WindowCounters(limiterStore({ kysely, dialect: 'postgres' }));

let unique = 0;
/** A counter of its own (a fresh name), so tests and runs never share rows. */
const fresh = (seconds = 3600): CounterAdd => ({ name: `test:c${unique++}`, seconds, key: 'k' });

describe('policy counters in one statement, on PostgreSQL', { skip: database.skip }, () => {
  let scratch: ScratchSchema;
  let a: Db;
  let b: Db;

  before(async () => {
    scratch = await createScratchSchema(database.url!, 'hs_counters');
    a = openDatabase(scratch.url);
    b = openDatabase(scratch.url);
    await migrateToLatest(a);
  });

  after(async () => {
    await a?.close();
    await b?.close();
    await scratch?.drop();
  });

  afterEach(() => mock.timers.reset());

  it('counts as the single-key upserts one after the other, a counter named twice included', async () => {
    const [x, y] = [fresh(), fresh(86_400)];
    const batch: CounterAdd[] = [x, { ...x, key: 'other' }, { ...x, points: 3 }, { ...y, points: 0 }, y];
    const [left, right] = [batch, batch.map((c) => ({ ...c, name: `${c.name}_batched` }))];
    const expected: number[] = [];
    for (const c of left) expected.push(await oneByOne(a.kysely).add(c.name, c.seconds, c.key, c.points));
    assert.deepEqual(expected, [1, 1, 4, 0, 1]);
    assert.deepEqual(await batched(a.kysely).addMany(right), expected);
    // The rows are the single-key path's: read back by it, and by readMany.
    const single = oneByOne(a.kysely);
    assert.deepEqual(await Promise.all(right.map((c) => single.read(c.name, c.seconds, c.key))), [4, 1, 4, 1, 1]);
    assert.deepEqual(await batched(a.kysely).readMany(right), [4, 1, 4, 1, 1]);
    const rows = await a.kysely.selectFrom('rate_limits').select(['key', 'points']).where('key', 'like', `${x.name}_batched:%`).orderBy('key').execute();
    assert.deepEqual(rows, [
      { key: `${x.name}_batched:k`, points: 4 },
      { key: `${x.name}_batched:other`, points: 1 },
    ]);
  });

  it('mixes with the single-key path on one counter: add, addMany, remove, removeMany', async () => {
    const c = fresh();
    const [single, many] = [oneByOne(a.kysely), batched(a.kysely)];
    assert.equal(await single.add(c.name, c.seconds, c.key, 2), 2);
    assert.deepEqual(await many.addMany([c]), [3]);
    await single.remove(c.name, c.seconds, c.key);
    await many.removeMany([{ ...c, points: 1 }]);
    assert.deepEqual(await many.readMany([c, { ...c, key: 'never' }]), [1, 0]);
    assert.equal(await single.read(c.name, c.seconds, c.key), 1);
  });

  it('a window that ended starts again at the points added, as the single-key path does', async () => {
    mock.timers.enable({ apis: ['Date'], now: 5_000_000 });
    const c = fresh(60);
    const twin = { ...c, name: `${c.name}_single` };
    const single = oneByOne(a.kysely);
    const viaSingle = async (points = 1): Promise<number> => single.add(twin.name, twin.seconds, twin.key, points);
    const many = batched(a.kysely);
    assert.deepEqual(await many.addMany([c, c]), [1, 2]);
    assert.deepEqual([await viaSingle(), await viaSingle()], [1, 2]);
    mock.timers.tick(59_999);
    assert.deepEqual(await many.addMany([c]), [3]);
    assert.equal(await viaSingle(), 3);
    mock.timers.tick(1);
    assert.deepEqual(await many.readMany([c, twin]), [0, 0]);
    assert.deepEqual(await many.addMany([{ ...c, points: 2 }, c]), [2, 3]);
    assert.deepEqual([await viaSingle(2), await viaSingle()], [2, 3]);
  });

  it('two instances counting the same keys at once, in transactions and in any order, lose no count and never deadlock', async () => {
    const counters = [fresh(), fresh(), fresh(86_400), fresh(86_400)].flatMap((c) => [c, { ...c, key: 'k2' }]);
    const steps = 60;
    await Promise.all(
      Array.from({ length: steps }, (_, i) => {
        // Every step names the counters in its own order (reversed, rotated): the batch sorts them.
        const order = i % 2 === 0 ? [...counters].reverse() : [...counters.slice(i % counters.length), ...counters.slice(0, i % counters.length)];
        const db = i % 2 === 0 ? a : b;
        return db.kysely.transaction().execute((trx) => batched(trx).addMany(order));
      }),
    );
    assert.deepEqual(await batched(a.kysely).readMany(counters), counters.map(() => steps));
  });

  it('a step that rolls back counts nothing', async () => {
    const c = fresh();
    await batched(a.kysely).addMany([c]);
    const failed = a.kysely.transaction().execute(async (trx) => {
      assert.deepEqual(await batched(trx).addMany([c, { ...c, key: 'new' }]), [2, 1]);
      throw new Error('the step failed');
    });
    await assert.rejects(failed, /the step failed/);
    assert.deepEqual(await batched(a.kysely).readMany([c, { ...c, key: 'new' }]), [1, 0]);
  });

  it('property: addMany and readMany agree with a model of fixed windows', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(modelSteps, async (steps) => {
        mock.timers.reset();
        mock.timers.enable({ apis: ['Date'], now: 9_000_000 });
        const clock = { now: () => Date.now(), wait: (ms: number) => mock.timers.tick(ms) };
        await checkAgainstModel(batched(a.kysely), steps, clock, `p${unique}_${run++}`);
      }),
      { numRuns: 60 },
    );
  });
});
