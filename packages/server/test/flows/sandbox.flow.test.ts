/**
 * Sandbox mode: only the documented test users, OTP 1234, Mobile Auth for the Mobile Auth and
 * Unified Auth users, short-term users pass without the client SDK, messages stay in the outbox.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { assertErrorBody } from '../support/assertions.js';
import { DeviceKey } from '../support/device-key.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend, latestMessage } from '../support/server-api.js';

describe('sandbox mode', () => {
  let server: TestServer;
  let backend: Backend;
  before(async () => {
    server = await startTestServer({ sandbox: true });
    backend = Backend.of(server);
  });
  after(() => server.close());

  it('refuses numbers that are not test users (8007)', async () => {
    const reply = await backend.post('/v3/unify', { possessionType: 'mobile', phoneNumber: '2025550123', clientRequestId: 'r' });
    assert.equal(reply.status, 400);
    assertErrorBody(reply.body, 8007);
  });

  it('Barbaraanne (short-term, 2001004018): customer-supplied needs a bind without the client SDK; no key', async () => {
    const started = await backend.unify({ possessionType: 'none', phoneNumber: '2001004018' });
    const status = await backend.status(started.correlationId);
    assert.equal(status.success, 'possession_required');
    assert.equal(status.phoneNumber, '2001004018', 'the number as initially passed');
    const bound = await backend.bind(started.correlationId, '2001004018');
    assert.equal(bound.body.success, 'true');
    assert.ok(bound.body.proveId);
    assert.equal(bound.body.deviceId, undefined, 'no Prove Key is generated');
  });

  it('short-term users pass possession without the client SDK on mobile', async () => {
    const started = await backend.unify({ possessionType: 'mobile', phoneNumber: '2001004018' });
    assert.equal((await backend.status(started.correlationId)).success, 'true');
  });

  it('Jesse (Mobile Auth user, 2001004017): Mobile Auth passes', async () => {
    const started = await backend.unify({ possessionType: 'mobile', phoneNumber: '2001004017' });
    const client = new ProtocolClient(started.authToken!);
    const key = new DeviceKey();
    await client.deviceStep(key);
    const ma = await client.mobileAuth();
    assert.deepEqual(ma.finish?.body, { next: 'done' });
    const status = await backend.status(started.correlationId);
    assert.equal(status.success, 'true');
    assert.equal(status.deviceId, key.deviceId);
  });

  it('Lorant (Unified Auth, 2001004014) on desktop: Instant Link from the outbox, then true with proveId and no deviceId', async () => {
    const started = await backend.unify({ possessionType: 'desktop', phoneNumber: '2001004014', finalTargetUrl: 'https://a.example/done' });
    const client = new ProtocolClient(started.authToken!);
    await client.instantLinkStart();
    const { link } = await latestMessage(server, '+12001004014');
    assert.equal((await fetch(link!, { redirect: 'manual' })).status, 302);
    const status = await backend.status(started.correlationId);
    assert.equal(status.success, 'true');
    assert.ok(status.proveId);
    assert.equal(status.deviceId, undefined);
  });

  it('OTP 1234 passes and any other code fails', async () => {
    const started = await backend.unify({ possessionType: 'mobile', phoneNumber: '2001004018' });
    assert.ok(started.correlationId);
    const user = await backend.unify({ possessionType: 'mobile', phoneNumber: '+2001004029', allowOTPRetry: true });
    const client = new ProtocolClient(user.authToken!);
    assert.equal((await backend.status(user.correlationId)).success, 'true', 'intl short-term passes at once');
    const jesse = await backend.unify({ possessionType: 'mobile', phoneNumber: '2001004017', allowOTPRetry: true });
    const c = new ProtocolClient(jesse.authToken!);
    await c.reportError('device/passive', 'no storage');
    await c.reportError('mobile/instant', 'no cellular');
    await c.otpStart();
    const { code } = await latestMessage(server, '+12001004017');
    assert.equal(code, '1234', 'the sandbox code, still visible in the outbox');
    assert.equal(((await c.otpFinish('4321')).body.data as { code: number }).code, 1);
    assert.deepEqual((await c.otpFinish('1234')).body, { next: 'done' });
    assert.equal((await backend.status(jesse.correlationId)).success, 'true');
    assert.equal((await client.otpStart()).body.error?.code, 10003, 'a finished short-term session takes no steps');
  });
});
