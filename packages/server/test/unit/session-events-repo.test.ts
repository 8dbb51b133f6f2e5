/**
 * A session's timeline: one statement appends a step's entries, numbered after the session's last
 * entry in the order given, and nothing of another session moves. Runs on the database of a test
 * server from startTestServer: in-memory SQLite, or a fresh PostgreSQL schema in the PostgreSQL pass
 * (the two dialects' statements differ).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import pg from 'pg';
import { appendSessionEvents, insertFirstSessionEvents, type SessionEventInput } from '../../src/store/session-events-repo.js';
import { startTestServer, type TestServer } from '../../src/testing.js';

const entry = (correlationId: string, i: number, over: Partial<SessionEventInput> = {}): SessionEventInput => ({
  correlation_id: correlationId,
  at: 1_700_000_000_000 + i,
  type: `type-${i}`,
  from_state: 'created',
  to_state: i % 2 === 0 ? 'otp_sent' : null,
  reason: i % 3 === 0 ? null : `reason ${i}, with 'quotes' and ; semicolons`,
  channel: 'sms',
  destination: i % 2 === 0 ? '+1202***0100' : null,
  ...over,
});

describe('appendSessionEvents', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server.close());

  const db = () => server.server.deps.db;
  const timeline = async (correlationId: string) =>
    db().kysely.selectFrom('session_events').selectAll().where('correlation_id', '=', correlationId).orderBy('seq').execute();
  const append = (events: SessionEventInput[]) => db().kysely.transaction().execute((trx) => appendSessionEvents(trx, db().dialect, events));

  it('numbers a first batch 1…n in the order given, every column kept as written', async () => {
    const events = [0, 1, 2, 3, 4].map((i) => entry('s-first', i));
    await append(events);
    const rows = await timeline('s-first');
    assert.deepEqual(
      rows.map(({ seq, ...rest }) => ({ seq, ...rest, at: Number(rest.at) })),
      events.map((e, i) => ({ seq: i + 1, ...e })),
    );
  });

  it('numbers after the entries already there (including those of the creating transaction)', async () => {
    await db().kysely.transaction().execute((trx) => insertFirstSessionEvents(trx, [entry('s-after', 0), entry('s-after', 1)]));
    await append([entry('s-after', 2)]);
    await append([entry('s-after', 3), entry('s-after', 4), entry('s-after', 5)]);
    assert.deepEqual(
      (await timeline('s-after')).map((r) => [r.seq, r.type]),
      [[1, 'type-0'], [2, 'type-1'], [3, 'type-2'], [4, 'type-3'], [5, 'type-4'], [6, 'type-5']],
    );
  });

  it('leaves other sessions alone, and an empty batch writes nothing', async () => {
    await append([entry('s-other-a', 0), entry('s-other-a', 1)]);
    await append([entry('s-other-b', 7)]);
    await append([]);
    assert.deepEqual((await timeline('s-other-a')).map((r) => r.seq), [1, 2]);
    assert.deepEqual((await timeline('s-other-b')).map((r) => [r.seq, r.type]), [[1, 'type-7']]);
  });

  it('refuses a batch that mixes sessions, writing nothing', async () => {
    await assert.rejects(append([entry('s-mixed-a', 0), entry('s-mixed-b', 1)]), /one session/);
    assert.equal((await timeline('s-mixed-a')).length, 0);
    assert.equal((await timeline('s-mixed-b')).length, 0);
  });

  it('a rolled-back transaction leaves no entry', async () => {
    await assert.rejects(
      db().kysely.transaction().execute(async (trx) => {
        await appendSessionEvents(trx, db().dialect, [entry('s-rollback', 0), entry('s-rollback', 1)]);
        throw new Error('step failed');
      }),
      /step failed/,
    );
    assert.equal((await timeline('s-rollback')).length, 0);
  });

  it('any sequence of batches gives one gap-free numbering in append order (property)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 6 }), async (sizes) => {
        const id = `s-prop-${run++}`;
        let i = 0;
        for (const size of sizes) await append(Array.from({ length: size }, () => entry(id, i++)));
        const rows = await timeline(id);
        assert.deepEqual(
          rows.map((r) => [r.seq, r.type]),
          Array.from({ length: i }, (_, k) => [k + 1, `type-${k}`]),
        );
      }),
      { numRuns: 25 },
    );
  });

  it('sends a NOTIFY with the entries on PostgreSQL, delivered on commit only; SQLite refuses one', async (t) => {
    const notify = { channel: `hs_test_${process.pid}`, payload: '{"correlationId":"s-notify"}' };
    if (db().dialect === 'sqlite') {
      await assert.rejects(db().kysely.transaction().execute((trx) => appendSessionEvents(trx, 'sqlite', [entry('s-notify', 0)], notify)), /PostgreSQL only/);
      assert.equal((await timeline('s-notify')).length, 0);
      return;
    }
    const listener = new pg.Client({ connectionString: db().url });
    await listener.connect();
    t.after(() => listener.end());
    const heard: string[] = [];
    listener.on('notification', (m) => heard.push(m.payload ?? ''));
    await listener.query(`listen ${notify.channel}`);
    const heardAfterRoundTrip = async (): Promise<string[]> => {
      await listener.query('select 1'); // notifications sent before this answer arrive before it
      return [...heard];
    };
    await assert.rejects(
      db().kysely.transaction().execute(async (trx) => {
        await appendSessionEvents(trx, 'postgres', [entry('s-notify', 0)], { ...notify, payload: 'rolled back' });
        throw new Error('step failed');
      }),
      /step failed/,
    );
    await db().kysely.transaction().execute((trx) => appendSessionEvents(trx, 'postgres', [entry('s-notify', 1), entry('s-notify', 2)], notify));
    await db().kysely.transaction().execute((trx) => appendSessionEvents(trx, 'postgres', [], { ...notify, payload: 'alone' }));
    let got = await heardAfterRoundTrip();
    for (let i = 0; i < 50 && got.length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      got = await heardAfterRoundTrip();
    }
    assert.deepEqual(got, [notify.payload, 'alone']);
    assert.deepEqual((await timeline('s-notify')).map((r) => [r.seq, r.type]), [[1, 'type-1'], [2, 'type-2']]);
  });
});
