/**
 * Acceptance (d): customer-supplied possession (`possessionType: "none"`), binding and rebinding.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { DeviceKey } from '../support/device-key.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';

const FIRST = '+12025550121';
const SECOND = '+12025550122';

describe('customer-supplied possession', () => {
  let server: TestServer;
  let backend: Backend;
  before(async () => {
    server = await startTestServer({ mobileAuthNumbers: [FIRST, SECOND] });
    backend = Backend.of(server);
  });
  after(() => server.close());

  async function runClient(phoneNumber: string, key: DeviceKey, extra: { rebind?: boolean } = {}) {
    const started = await backend.unify({ possessionType: 'none', phoneNumber, ...extra });
    const client = new ProtocolClient(started.authToken!);
    assert.equal(client.claims.auth.next, 'device/passive');
    const reply = await client.deviceStep(key);
    assert.equal(reply.body.next, 'done');
    return { started, reply };
  }

  it('possession_required → bind → true; another number gives 9101 → bind → true; the first number then needs possession', async () => {
    const key = new DeviceKey();
    const first = await runClient(FIRST, key);
    const status = await backend.status(first.started.correlationId);
    assert.equal(status.success, 'possession_required');
    assert.equal(status.evaluation?.authentication?.result, 'fail');
    assert.ok(status.evaluation?.authentication?.failureReasons?.['9100'], 'first bind: possession incomplete (9100)');
    assert.equal(status.deviceId, undefined);

    const bound = await backend.bind(first.started.correlationId, FIRST);
    assert.equal(bound.status, 200);
    assert.equal(bound.body.success, 'true');
    assert.equal(bound.body.deviceId, key.deviceId);
    assert.ok(bound.body.proveId);
    assert.equal((await backend.status(first.started.correlationId)).success, 'true', 'the outcome stays readable');

    const again = await runClient(FIRST, key);
    assert.equal((await backend.status(again.started.correlationId)).success, 'true', 'bound key, same number');

    const other = await runClient(SECOND, key);
    const mismatch = await backend.status(other.started.correlationId);
    assert.equal(mismatch.success, 'possession_required');
    assert.equal(
      mismatch.evaluation?.authentication?.failureReasons?.['9101'],
      "Phone number doesn't match Prove Key. Rebind required.",
    );
    const rebound = await backend.bind(other.started.correlationId, SECOND);
    assert.equal(rebound.body.success, 'true');
    assert.equal(rebound.body.deviceId, key.deviceId);

    const back = await runClient(FIRST, key);
    const firstNow = await backend.status(back.started.correlationId);
    assert.equal(firstNow.success, 'possession_required');
    assert.ok(firstNow.evaluation?.authentication?.failureReasons?.['9101']);
  });

  it('rebind: true on a mobile flow rebinds the key after possession', async () => {
    const key = new DeviceKey();
    const started = await backend.unify({ possessionType: 'mobile', phoneNumber: FIRST });
    const client = new ProtocolClient(started.authToken!);
    await client.deviceStep(key);
    await client.mobileAuth();
    assert.equal((await backend.status(started.correlationId)).success, 'true');

    // Without rebind a different number ends in possession_required (9101) even after Mobile Auth.
    const plain = await backend.unify({ possessionType: 'mobile', phoneNumber: SECOND });
    const plainClient = new ProtocolClient(plain.authToken!);
    assert.deepEqual((await plainClient.deviceStep(key)).body, { next: 'mobile/instant' });
    await plainClient.mobileAuth();
    const plainStatus = await backend.status(plain.correlationId);
    assert.equal(plainStatus.success, 'possession_required');
    assert.ok(plainStatus.evaluation?.authentication?.failureReasons?.['9101']);

    const rebind = await backend.unify({ possessionType: 'mobile', phoneNumber: SECOND, rebind: true });
    const rebindClient = new ProtocolClient(rebind.authToken!);
    assert.deepEqual((await rebindClient.deviceStep(key)).body, { next: 'mobile/instant' });
    await rebindClient.mobileAuth();
    const rebound = await backend.status(rebind.correlationId);
    assert.equal(rebound.success, 'true');
    assert.equal(rebound.deviceId, key.deviceId);

    const later = await backend.unify({ possessionType: 'mobile', phoneNumber: SECOND });
    assert.deepEqual((await new ProtocolClient(later.authToken!).deviceStep(key)).body, { next: 'done' }, 'no rebind needed afterwards');
  });

  it('rebind: true with customer-supplied possession binds through unify-bind', async () => {
    const key = new DeviceKey();
    const first = await runClient(FIRST, key);
    await backend.bind(first.started.correlationId, FIRST);
    const rebind = await runClient(SECOND, key, { rebind: true });
    assert.equal((await backend.status(rebind.started.correlationId)).success, 'possession_required');
    assert.equal((await backend.bind(rebind.started.correlationId, SECOND)).body.success, 'true');
    const next = await runClient(SECOND, key);
    assert.equal((await backend.status(next.started.correlationId)).success, 'true');
  });

  it('revoke: the key is no longer accepted (10006) and a second revoke is idempotent', async () => {
    const key = new DeviceKey();
    const first = await runClient(FIRST, key);
    await backend.bind(first.started.correlationId, FIRST);
    const revoked = await backend.post<{ success: boolean }>('/v3/device/revoke', { clientRequestId: 'r', deviceId: key.deviceId });
    assert.deepEqual(revoked, { status: 200, body: { success: true } });
    const again = await backend.post<{ success: boolean }>('/v3/device/revoke', { clientRequestId: 'r', deviceId: key.deviceId });
    assert.equal(again.status, 200);

    const started = await backend.unify({ possessionType: 'none', phoneNumber: FIRST });
    const reply = await new ProtocolClient(started.authToken!).verify(key);
    assert.equal(reply.body.error?.code, 10006, 'the browser is told to wipe its key');
    assert.equal(reply.body.next, 'done');
    assert.equal((await backend.status(started.correlationId)).success, 'possession_required');
  });

  it('bind is refused before possession_required and for a different number', async () => {
    const started = await backend.unify({ possessionType: 'none', phoneNumber: FIRST });
    const early = await backend.bind(started.correlationId, FIRST);
    assert.equal(early.status, 403);
    assert.equal((early.body as unknown as { code: number }).code, 8003);
    await new ProtocolClient(started.authToken!).deviceStep(new DeviceKey());
    const wrongNumber = await backend.bind(started.correlationId, SECOND);
    assert.equal(wrongNumber.status, 400);
    assert.equal((await backend.status(started.correlationId)).success, 'possession_required', 'nothing changed');
    assert.equal((await backend.bind(started.correlationId, FIRST)).body.success, 'true');
    const twice = await backend.bind(started.correlationId, FIRST);
    assert.equal(twice.status, 403, 'a second bind is out of order');
  });
});
