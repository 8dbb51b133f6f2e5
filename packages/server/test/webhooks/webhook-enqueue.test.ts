/**
 * enqueueWebhookEvents (webhooks/events.ts) counted by statement, on its own SQLite database whose
 * Kysely logs every statement's text and parameters (so it runs on SQLite in both passes): a
 * customer-supplied bind that raises session.succeeded and device.bound reads the client's
 * endpoints once and writes its three deliveries with one insert, events in the order raised and
 * endpoints in the order read; events of two clients are refused; the dispatcher is nudged once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { cryptoRandom } from '../../src/ports/random.js';
import type { Db } from '../../src/store/database.js';
import { QueryTimings } from '../../src/store/query-timings.js';
import type { Database } from '../../src/store/schema.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { addWebhookEndpoint } from '../../src/webhooks/endpoints-repo.js';
import { enqueueWebhookEvents, type WebhookEvent } from '../../src/webhooks/events.js';
import { DeviceKey } from '../support/device-key.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';

/** The statement enqueueWebhookEvents reads the client's endpoints with (compiled once). */
const SELECT_ENDPOINTS = 'select "id", "events", "include_phone" from "webhook_endpoints" where "client_id" = ?';
const INSERT_DELIVERIES = /^insert into "webhook_deliveries"/;
// Unreachable (the discard port): the dispatcher's attempts fail and leave the rows in place.
const HOOK_URL = 'http://127.0.0.1:9/hook';

describe('enqueueWebhookEvents: one read of the endpoints, one insert', () => {
  const statements: Array<{ sql: string; parameters: readonly unknown[] }> = [];
  let db: Db;
  let server: TestServer;
  let both: string;
  let boundOnly: string;
  before(async () => {
    const kysely = new Kysely<Database>({
      dialect: new SqliteDialect({ database: new SQLite(':memory:') }),
      log: (event) => void statements.push({ sql: event.query.sql, parameters: event.query.parameters }),
    });
    db = { kysely, dialect: 'sqlite', location: ':memory:', url: ':memory:', timings: new QueryTimings(), poolStats: null, close: () => kysely.destroy() };
    server = await startTestServer({ overrides: { db } });
    const deps = { random: cryptoRandom, now: Date.now() };
    both = (await addWebhookEndpoint(kysely, deps, { clientId: server.clientId, url: HOOK_URL, events: 'session.succeeded,device.bound' })).endpointId;
    boundOnly = (await addWebhookEndpoint(kysely, deps, { clientId: server.clientId, url: HOOK_URL, events: 'device.bound' })).endpointId;
  });
  after(async () => {
    await server.close();
    await db.close();
  });

  it('a bind raising session.succeeded and device.bound selects the endpoints once and writes 3 deliveries in order', async () => {
    const backend = Backend.of(server);
    const key = new DeviceKey();
    const number = '+12025550186';
    const started = await backend.unify({ possessionType: 'none', phoneNumber: number });
    assert.equal((await new ProtocolClient(started.authToken!).deviceStep(key)).body.next, 'done');
    assert.equal((await backend.status(started.correlationId)).success, 'possession_required');

    const mark = statements.length;
    assert.equal((await backend.bind(started.correlationId, number)).body.success, 'true');
    const during = statements.slice(mark);
    assert.equal(during.filter((s) => s.sql === SELECT_ENDPOINTS).length, 1, 'the endpoints are read once');
    const inserts = during.filter((s) => INSERT_DELIVERIES.test(s.sql));
    assert.equal(inserts.length, 1, 'all deliveries in one insert');
    const expected = [
      [both, 'session.succeeded'],
      [both, 'device.bound'],
      [boundOnly, 'device.bound'],
    ];
    // A multi-row insert's parameters go row by row: its endpoint ids and event types, in order.
    const named = new Set<unknown>([both, boundOnly, 'session.succeeded', 'device.bound']);
    assert.deepEqual(
      inserts[0]!.parameters.filter((p) => named.has(p)),
      expected.flat(),
    );

    // Rows in insertion order (SQLite's rowid): events as raised, endpoints as read.
    const rows = await db.kysely
      .selectFrom('webhook_deliveries')
      .select(['endpoint_id', 'event_type', 'payload'])
      .orderBy(sql`rowid`)
      .execute();
    const ours = rows.filter((r) => r.payload.includes(started.correlationId));
    assert.deepEqual(
      ours.map((r) => [r.endpoint_id, r.event_type]),
      expected,
    );
    for (const row of ours) {
      const data = (JSON.parse(row.payload) as { data: Record<string, unknown> }).data;
      assert.equal(data.deviceId, key.deviceId);
      assert.equal(data.phoneNumberMasked, '+1******0186');
      assert.equal(data.phoneNumber, undefined, 'no endpoint opted in to the full number');
    }
  });

  it('events of two different clients are refused before anything is read or written', async () => {
    const other = await server.createClient('other');
    const events: WebhookEvent[] = [
      { type: 'device.bound', clientId: server.clientId, data: { deviceId: 'd1' } },
      { type: 'device.bound', clientId: other.clientId, data: { deviceId: 'd2' } },
    ];
    const mark = statements.length;
    await assert.rejects(
      db.kysely.transaction().execute((trx) => enqueueWebhookEvents(trx, { clock: { now: () => Date.now() }, random: cryptoRandom }, events)),
      (error: unknown) => error instanceof Error && /same client/.test(error.message),
    );
    const during = statements.slice(mark);
    assert.equal(during.filter((s) => s.sql === SELECT_ENDPOINTS || INSERT_DELIVERIES.test(s.sql)).length, 0);
  });

  it('returns the deliveries written and nudges once; nothing subscribed writes nothing and does not nudge', async () => {
    let nudges = 0;
    const deps = { clock: { now: () => Date.now() }, random: cryptoRandom, nudgeWebhooks: () => void nudges++ };
    const event = (type: WebhookEvent['type']): WebhookEvent => ({ type, clientId: server.clientId, data: { deviceId: 'd3' } });
    // Outside a transaction afterCommit nudges on the next tick.
    assert.equal(await enqueueWebhookEvents(db.kysely, deps, [event('session.succeeded'), event('device.bound')]), 3);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(nudges, 1);

    const mark = statements.length;
    assert.equal(await enqueueWebhookEvents(db.kysely, deps, [event('session.failed'), event('fraud.denied')]), 0);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(nudges, 1);
    const during = statements.slice(mark);
    assert.equal(during.filter((s) => s.sql === SELECT_ENDPOINTS).length, 1);
    assert.equal(during.filter((s) => INSERT_DELIVERIES.test(s.sql)).length, 0, 'no insert when nothing subscribes');
  });
});
