/**
 * State that several instances on one PostgreSQL database must share: the per-client request
 * budget of /v3/* is granted once across instances (not once per instance), and instances that
 * start together on an empty database agree on one generated authToken signing key.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '@handset/protocol';
import type { TestServer } from '../../src/testing.js';
import { openDatabase, migrateToLatest } from '../../src/store/database.js';
import { createScratchSchema } from '../../src/store/scratch-schema.js';
import { loadOrCreateDevSigningKey } from '../../src/tokens/signing-key.js';
import { assertErrorBody } from '../support/assertions.js';
import { multiInstanceDatabase, startTwoServers, type TwoServers } from '../support/instances.js';
import { Backend } from '../support/server-api.js';

const database = multiInstanceDatabase();
const PER_SECOND = 5;

describe('state shared by instances', { skip: database.skip }, () => {
  let servers: TwoServers;
  let a: TestServer;
  let b: TestServer;

  before(async () => {
    servers = await startTwoServers('hs_multi', { rateLimitPerSecond: PER_SECOND });
    ({ a, b } = servers);
  });

  after(async () => {
    await servers?.close();
  });

  it(`the ${PER_SECOND}/s request budget of a client is spent once across both instances`, async () => {
    const onA = Backend.of(a);
    const onB = new Backend(b.url, a.clientId, a.clientSecret);
    await Promise.all([onA.token(), onB.token()]);
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? onA : onB).post('/v3/unify-status', { correlationId: 'not-a-session' })),
    );
    const limited = replies.filter((r) => r.status === 429);
    const allowed = replies.filter((r) => r.status !== 429);
    for (const r of allowed) assertErrorBody(r.body, ApiError.INVALID_CORRELATION_ID.code);
    for (const r of limited) assertErrorBody(r.body, ApiError.RATE_LIMITED.code);
    // The requests may straddle a second boundary: count the one-second windows they used.
    const windows = await a.server.deps.db.kysely
      .selectFrom('rate_counters')
      .select(['window_start', 'count'])
      .where('key', '=', a.clientId)
      .execute();
    assert.ok(windows.length >= 1 && windows.length <= 40);
    assert.ok(limited.length > 0, 'some requests were refused');
    assert.ok(
      allowed.length <= PER_SECOND * windows.length,
      `${allowed.length} requests passed in ${windows.length} window(s) of ${PER_SECOND}: the budget was granted per instance`,
    );
  });

  it('a 429 carries Retry-After', async () => {
    const onB = new Backend(b.url, a.clientId, a.clientSecret);
    const token = await onB.token();
    let retryAfter: string | null = null;
    for (let i = 0; i < 50 && retryAfter === null; i++) {
      const response = await fetch(`${b.url}/v3/unify-status`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ correlationId: 'x' }),
      });
      await response.body?.cancel();
      if (response.status === 429) retryAfter = response.headers.get('retry-after');
    }
    assert.equal(retryAfter, '1');
  });

  it('instances starting together on an empty database agree on one generated signing key', async () => {
    const fresh = await createScratchSchema(database.url!, 'hs_multi');
    const dbs = Array.from({ length: 6 }, () => openDatabase(fresh.url));
    try {
      await migrateToLatest(dbs[0]!);
      // Connect every "instance" first, so that the race is not decided by connection set-up.
      await Promise.all(dbs.map((db) => db.kysely.selectFrom('signing_keys').select('kid').execute()));
      const keys = await Promise.all(dbs.map((db, i) => loadOrCreateDevSigningKey(db.kysely, Date.now() + i * 1000)));
      assert.equal(new Set(keys.map((k) => k.kid)).size, 1, 'every instance uses the same kid');
      const publicKeys = new Set(keys.map((k) => k.publicKey.export({ format: 'jwk' }).x));
      assert.equal(publicKeys.size, 1, 'and the same key');
      const rows = await dbs[0]!.kysely.selectFrom('signing_keys').select('kid').execute();
      assert.equal(rows.length, 1);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
      await fresh.drop();
    }
  });

  it('a token issued by one instance is accepted by the other', async () => {
    const onA = Backend.of(a);
    const token = await onA.token();
    const response = await fetch(`${b.url}/v3/unify-status`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ correlationId: 'unknown' }),
    });
    assert.ok([400, 429].includes(response.status), `status ${response.status}: the token was not refused`);
    await response.body?.cancel();
  });
});
