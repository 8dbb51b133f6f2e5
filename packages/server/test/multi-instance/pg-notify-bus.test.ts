/**
 * The PostgreSQL event bus on a real database: a change staged in a transaction reaches the
 * other instance on COMMIT and never on rollback, the payload carries identifiers only, an
 * instance does not hear its own echo, and a lost LISTEN connection comes back by itself and
 * wakes every subscriber to re-read.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { PgNotifyBus } from '../../src/events/pg-notify-bus.js';
import type { Database } from '../../src/store/schema.js';
import { multiInstanceDatabase } from '../support/instances.js';

const database = multiInstanceDatabase();

/** Resolves when `predicate` holds, polling; fails after `timeoutMs`. */
async function until(predicate: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('PgNotifyBus', { skip: database.skip }, () => {
  // A channel and application name of our own, so parallel tests and servers do not interfere.
  const suffix = randomBytes(4).toString('hex');
  const channel = `handset_events_test_${suffix}`;
  const listenerName = `hs_bus_test_${suffix}`;
  let db: Kysely<Database>;
  let sender: PgNotifyBus;
  let receiver: PgNotifyBus;
  let admin: pg.Client;

  before(async () => {
    const url = database.url!;
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }) });
    sender = new PgNotifyBus({ url, channel });
    const receiverUrl = new URL(url);
    receiverUrl.searchParams.set('application_name', listenerName);
    receiver = new PgNotifyBus({ url: receiverUrl.toString(), channel, minBackoffMs: 50, maxBackoffMs: 200 });
    await Promise.all([sender.start(), receiver.start()]);
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });

  after(async () => {
    await sender?.close();
    await receiver?.close();
    await admin?.end();
    await db?.destroy();
  });

  it('a committed change reaches the other instance; a rolled-back one never does; the origin ignores its echo', async () => {
    const heard: string[] = [];
    const echoed: string[] = [];
    const offReceiver = ['rolled-back', 'committed'].map((id) => receiver.subscribe(id, () => heard.push(id)));
    const offSender = sender.subscribe('committed', () => echoed.push('committed'));

    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await sender.stage(trx, { correlationId: 'rolled-back' });
        throw new Error('roll back');
      }),
      /roll back/,
    );
    await db.transaction().execute(async (trx) => {
      await sender.stage(trx, { correlationId: 'committed' });
      assert.deepEqual(heard, [], 'nothing is delivered before COMMIT');
    });
    // Notifications arrive in commit order: had the rolled-back one been sent, it would come first.
    await until(() => heard.length > 0, 'the committed notification');
    assert.deepEqual(heard, ['committed']);

    // The sender's own subscribers hear of it through publish() after the commit, not through the echo.
    const marker = receiver.subscribe('marker', () => heard.push('marker'));
    await sender.stage(db, { correlationId: 'marker' });
    await until(() => heard.includes('marker'), 'the marker');
    assert.deepEqual(echoed, [], 'the echo of its own notification is ignored');
    await sender.publish({ correlationId: 'committed' });
    assert.deepEqual(echoed, ['committed']);
    for (const off of [...offReceiver, offSender, marker]) off();
  });

  it('the payload carries identifiers only', async () => {
    const listener = new pg.Client({ connectionString: database.url! });
    await listener.connect();
    try {
      const payloads: string[] = [];
      listener.on('notification', (message) => payloads.push(message.payload ?? ''));
      await listener.query(`LISTEN ${channel}`);
      await sender.stage(db, { correlationId: 'c-123' });
      await until(() => payloads.length > 0, 'the raw notification');
      const payload = JSON.parse(payloads[0]!) as Record<string, unknown>;
      assert.deepEqual(Object.keys(payload).sort(), ['correlationId', 'origin']);
      assert.equal(payload.correlationId, 'c-123');
      assert.equal(payload.origin, sender.origin);
    } finally {
      await listener.end();
    }
  });

  it('a lost LISTEN connection reconnects by itself and wakes every subscriber to re-read', async () => {
    const woken: string[] = [];
    const off = receiver.subscribe('waiting-session', () => woken.push('waiting-session'));
    const { rows } = await admin.query('select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = $1', [listenerName]);
    assert.equal(rows.length, 1, 'the receiver has exactly one LISTEN connection');
    await until(() => woken.length > 0, 'the wake-up after reconnecting');
    assert.ok(receiver.listening);

    await sender.stage(db, { correlationId: 'waiting-session' });
    await until(() => woken.length > 1, 'a notification after reconnecting');
    off();
  });
});
