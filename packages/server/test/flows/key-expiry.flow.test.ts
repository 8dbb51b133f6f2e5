/**
 * Prove Keys are deactivated after 12 months without use; each use resets the clock.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/ports/clock.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { DeviceKey } from '../support/device-key.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';

const DAY = 24 * 60 * 60 * 1000;
const PHONE = '+12025550181';

describe('Prove Key inactivity', () => {
  let server: TestServer;
  let clock: ManualClock;
  before(async () => {
    clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
    server = await startTestServer({ overrides: { clock } });
  });
  after(() => server.close());

  async function authenticate(key: DeviceKey) {
    const backend = Backend.of(server); // a fresh access token after the clock moved
    const started = await backend.unify({ possessionType: 'none', phoneNumber: PHONE });
    const reply = await new ProtocolClient(started.authToken!).deviceStep(key);
    return { backend, started, reply };
  }

  it('a key used within 12 months keeps working; after 12 months idle it is refused with 10006', async () => {
    const key = new DeviceKey();
    const first = await authenticate(key);
    assert.equal((await first.backend.bind(first.started.correlationId, PHONE)).body.success, 'true');

    clock.advance(364 * DAY);
    const used = await authenticate(key);
    assert.deepEqual(used.reply.body, { next: 'done' });
    assert.equal((await used.backend.status(used.started.correlationId)).success, 'true', 'use resets the clock');

    clock.advance(364 * DAY);
    const stillFine = await authenticate(key);
    assert.equal((await stillFine.backend.status(stillFine.started.correlationId)).success, 'true');

    clock.advance(366 * DAY);
    const expired = await authenticate(key);
    assert.equal(expired.reply.body.error?.code, 10006, 'the browser is told to wipe the key');
    assert.equal((await expired.backend.status(expired.started.correlationId)).success, 'possession_required');
    const row = await server.server.deps.db.kysely.selectFrom('devices').select('revoked_at').where('id', '=', key.deviceId!).executeTakeFirstOrThrow();
    assert.ok(row.revoked_at, 'the key is deactivated for good');
  });
});
