/**
 * The courier across real `handset serve` processes on one PostgreSQL database (issue 11 "Done
 * when"): two instances dispatch 1,000 queued messages with none sent twice and none lost (counted
 * at the Vonage fake by `client-ref`, which carries Handset's message id); `kill -9` of an instance
 * mid-dispatch, then a restart: every message is sent (at least once), and only messages that were
 * mid-send at the kill may be sent twice. PostgreSQL pass only.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { enqueueMessage } from '../../src/courier/queue.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { createScratchSchema, type ScratchSchema } from '../../src/store/scratch-schema.js';
import { courierEnv, eventually } from '../support/courier.js';
import { VonageFake } from '../support/fakes/vonage-fake.js';
import { multiInstanceDatabase, startInstance, type Instance } from '../support/instances.js';

const database = multiInstanceDatabase();

/** Queues `count` messages in one transaction (as if steps had); returns their ids. */
async function enqueue(db: Db, count: number, tag: string): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  const now = Date.now();
  await db.kysely.transaction().execute(async (trx) => {
    for (const [i, id] of ids.entries()) {
      await enqueueMessage(trx, { id, to: `+1202555${String(1000 + (i % 9000)).padStart(4, '0')}`, body: `${tag} ${i}`, clientId: null, correlationId: null, now });
    }
  });
  return ids;
}

/** How many times the fake received each of `ids` (by client-ref). */
function receipts(fake: VonageFake, ids: readonly string[]): Map<string, number> {
  const counts = new Map(ids.map((id) => [id, 0]));
  for (const r of fake.requests) {
    const ref = VonageFake.fields(r).get('client-ref');
    if (ref !== undefined && counts.has(ref)) counts.set(ref, (counts.get(ref) ?? 0) + 1);
  }
  return counts;
}

async function unsent(db: Db, ids: readonly string[]): Promise<number> {
  const row = await db.kysely
    .selectFrom('sms_outbox')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('id', 'in', ids)
    .where('status', '!=', 'sent')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('courier on two instances (PostgreSQL)', { skip: database.skip }, () => {
  let scratch: ScratchSchema;
  let db: Db;
  const fake = new VonageFake();
  const instances: Instance[] = [];

  before(async () => {
    await fake.start();
    scratch = await createScratchSchema(database.url!, 'hs_courier');
  });
  after(async () => {
    for (const instance of instances) await instance.stop();
    await db?.close();
    await fake.stop();
    await scratch?.drop();
  });

  it('two instances dispatch 1,000 queued messages: none sent twice, none lost', async () => {
    const env = courierEnv([fake]);
    const [a, b] = await Promise.all([startInstance(scratch.url, env), startInstance(scratch.url, env)]);
    instances.push(a!, b!);
    db = openDatabase(scratch.url); // the instances migrated it
    const ids = await enqueue(db, 1000, 'bulk');
    await eventually('all 1,000 messages sent', async () => (await unsent(db, ids)) === 0, 180_000);
    const counts = receipts(fake, ids);
    const twice = [...counts.values()].filter((n) => n > 1).length;
    const lost = [...counts.values()].filter((n) => n === 0).length;
    assert.equal(lost, 0, 'none lost');
    assert.equal(twice, 0, 'none sent twice');
    assert.equal(fake.requests.length, 1000);
    assert.deepEqual(fake.violations, []);
    const rows = await db.kysely.selectFrom('sms_outbox').select(['provider_message_id', 'locked_by']).where('id', 'in', ids).execute();
    assert.equal(new Set(rows.map((r) => r.provider_message_id)).size, 1000, 'a provider id per message');
    // locked_by names the instance that last claimed each message: both took part.
    const owners = new Map<string, number>();
    for (const r of rows) owners.set(r.locked_by ?? '', (owners.get(r.locked_by ?? '') ?? 0) + 1);
    assert.equal(owners.size, 2, 'both instances dispatched');
    console.log(`courier two instances: ${[...owners.values()].join(' + ')} messages`);
    for (const instance of instances.splice(0)) assert.equal(await instance.stop(), 0, instance.output());
  });

  it('kill -9 mid-dispatch, restart: every message sent, duplicates only for those in flight', async () => {
    fake.requests.length = 0;
    fake.delayMs = 150; // a slow provider: sends are in flight when the process dies
    const env = courierEnv([fake], { HANDSET_SMS_LEASE_MS: '3000' });
    const ids = await enqueue(db, 300, 'crash');
    const a = await startInstance(scratch.url, env);
    instances.push(a);
    await eventually('dispatch under way', () => receipts(fake, ids).size > 0 && [...receipts(fake, ids).values()].filter((n) => n > 0).length >= 40, 120_000);
    a.process.kill('SIGKILL');
    await a.stop();
    instances.splice(instances.indexOf(a), 1);
    const before = [...receipts(fake, ids).values()].filter((n) => n > 0).length;
    assert.ok(before < ids.length, 'killed before it finished');
    const b = await startInstance(scratch.url, env);
    instances.push(b);
    await eventually('every message sent after the restart', async () => (await unsent(db, ids)) === 0, 180_000);
    const counts = receipts(fake, ids);
    const lost = [...counts.values()].filter((n) => n === 0).length;
    const duplicates = [...counts.values()].filter((n) => n > 1).length;
    assert.equal(lost, 0, 'none lost');
    // At least once: only a message claimed by the killed instance (a batch of at most 16 in flight) can go twice.
    assert.ok(duplicates <= 16, `duplicates ${duplicates}`);
    console.log(`courier kill -9: ${before} of ${ids.length} reached the provider before the kill; ${duplicates} sent twice after the restart`);
    fake.delayMs = 0;
  });
});
