/**
 * Unify without a typed number (issue 10), over a real socket: the guide's own `none` start, a
 * returning device whose key knows the number, `proveId` look-ups (tenant-isolated), Mobile Auth
 * number discovery, and the browser asking the person for the number (mnp false).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postJson } from '../support/protocol-client.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { DeviceKey } from '../support/device-key.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend, latestMessage } from '../support/server-api.js';

const TARGET = 'https://shop.example.com/verified';
const LINE = '+12025550141';

/** A key bound to `phone` through an OTP flow with that number. */
async function keyBoundTo(server: TestServer, backend: Backend, phone: string): Promise<DeviceKey> {
  const key = new DeviceKey();
  const started = await backend.unify({ possessionType: 'mobile', phoneNumber: phone });
  const client = new ProtocolClient(started.authToken!);
  await client.deviceStep(key);
  await client.otpStart();
  const { code } = await latestMessage(server, phone);
  assert.deepEqual((await client.otpFinish(code!)).body, { next: 'done' });
  assert.equal((await backend.status(started.correlationId)).success, 'true');
  return key;
}

describe('unify without a typed number', () => {
  let server: TestServer;
  let backend: Backend;
  before(async () => {
    server = await startTestServer();
    backend = Backend.of(server);
  });
  after(() => server.close());

  it("the guide's step 2 starts a session; a device with a bound key finishes true with no number typed and no SMS", async () => {
    const phone = '+12025550131';
    const key = await keyBoundTo(server, backend, phone);

    const outboxBefore = (await server.outbox()).length;

    const reply = await backend.post<{ success: string; correlationId: string; authToken: string }>('/v3/unify', {
      possessionType: 'none',
      clientRequestId: 'client-abc-123',
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(reply.body.success, 'pending');
    const client = new ProtocolClient(reply.body.authToken);
    assert.deepEqual((await client.deviceStep(key)).body, { next: 'done' });
    const status = await backend.status(reply.body.correlationId);
    assert.equal(status.success, 'true');
    assert.equal(status.phoneNumber, phone, 'the number of the key, in E.164');
    assert.equal(status.deviceId, key.deviceId);
    assert.ok(status.proveId);
    assert.equal((await server.outbox()).length, outboxBefore, 'no SMS');

  });

  it('a fresh device gets possession_required (9100), then unify-bind binds it; next time it is silent', async () => {
    const key = new DeviceKey();
    const started = await backend.unify({ possessionType: 'none' });
    const client = new ProtocolClient(started.authToken!);
    assert.equal((await client.deviceStep(key)).body.next, 'done');
    const required = await backend.status(started.correlationId);
    assert.equal(required.success, 'possession_required');
    assert.equal(required.phoneNumber, undefined, 'no number yet');
    assert.deepEqual(Object.keys(required.evaluation?.authentication.failureReasons ?? {}), ['9100']);

    const bound = await backend.bind(started.correlationId, '2025550132');
    assert.equal(bound.status, 200, JSON.stringify(bound.body));
    assert.equal(bound.body.success, 'true');
    assert.equal(bound.body.phoneNumber, '2025550132', 'as the integrator sent it');
    assert.equal(bound.body.deviceId, key.deviceId);

    const again = await backend.unify({ possessionType: 'none' });
    assert.deepEqual((await new ProtocolClient(again.authToken!).deviceStep(key)).body, { next: 'done' });
    const silent = await backend.status(again.correlationId);
    assert.equal(silent.success, 'true');
    assert.equal(silent.phoneNumber, '+12025550132');
    assert.equal(silent.proveId, bound.body.proveId, 'one identity per number');
  });

  it("a key of one client is unknown to another client's session", async () => {
    const key = await keyBoundTo(server, backend, '+12025550133');
    const other = await server.createClient('other tenant');
    const otherBackend = new Backend(server.url, other.clientId, other.clientSecret);
    const started = await otherBackend.unify({ possessionType: 'none' });
    const verified = await new ProtocolClient(started.authToken!).deviceStep(key);
    assert.equal(verified.body.error?.code, 10006, 'no such key for this client');
    const status = await otherBackend.status(started.correlationId);
    assert.equal(status.success, 'possession_required');
    assert.equal(status.phoneNumber, undefined, 'the other tenant learns no number');
  });

  it('proveId instead of phoneNumber: this client only; unknown and foreign ids get the same error', async () => {
    const phone = '+12025550134';
    const key = await keyBoundTo(server, backend, phone);
    const earlier = await backend.unify({ possessionType: 'none', phoneNumber: phone });
    await new ProtocolClient(earlier.authToken!).deviceStep(key);
    const { proveId } = await backend.status(earlier.correlationId);
    assert.ok(proveId);

    const byId = await backend.unify({ possessionType: 'none', proveId });
    assert.deepEqual((await new ProtocolClient(byId.authToken!).deviceStep(key)).body, { next: 'done' });
    const status = await backend.status(byId.correlationId);
    assert.equal(status.success, 'true');
    assert.equal(status.phoneNumber, phone);

    const other = await server.createClient('third tenant');
    const otherBackend = new Backend(server.url, other.clientId, other.clientSecret);
    const foreign = await otherBackend.post<{ code: number; message: string }>('/v3/unify', { possessionType: 'mobile', clientRequestId: 'r', proveId });
    const unknown = await otherBackend.post<{ code: number; message: string }>('/v3/unify', {
      possessionType: 'mobile',
      clientRequestId: 'r',
      proveId: '00000000-0000-4000-8000-000000000000',
    });
    assert.equal(foreign.status, 400);
    assert.deepEqual(foreign.body, unknown.body, 'nothing tells a foreign id from an unknown one');
    assert.equal(foreign.body.code, 8001);
    assert.match(foreign.body.message, /'proveId' is unknown/);
  });

  it('mobile without a number and no carrier line: mnp is false, the code goes to the number entered', async () => {
    const phone = '+12025550135';
    const key = new DeviceKey();
    const started = await backend.unify({ possessionType: 'mobile' });
    const client = new ProtocolClient(started.authToken!);
    assert.equal(client.claims.auth.subs.mob?.auths.otp?.mnp, false, 'the SDK asks for the number');
    await client.deviceStep(key);
    const ma = await client.mobileAuth();
    assert.equal(ma.carrierStatus, 404, 'no line to discover');
    await client.reportError('mobile/instant', 'Mobile Auth failed', 10002);

    const noNumber = await client.otpStart();
    assert.equal((noNumber.body.data as { code: number }).code, 2, 'a number is needed');
    assert.equal((await server.outbox()).filter((m) => m.to === phone).length, 0);
    assert.deepEqual((await client.otpStart('2025550135')).body, { next: 'mobile/otp' });
    const { code } = await latestMessage(server, phone);
    assert.deepEqual((await client.otpFinish(code!)).body, { next: 'done' });
    const status = await backend.status(started.correlationId);
    assert.equal(status.success, 'true');
    assert.equal(status.phoneNumber, '2025550135', 'as the person typed it');
    assert.equal(status.deviceId, key.deviceId);
  });

  it('desktop without a number: mnp is false, the link goes to the number entered', async () => {
    const phone = '+12025550136';
    const started = await backend.unify({ possessionType: 'desktop', finalTargetUrl: TARGET });
    const client = new ProtocolClient(started.authToken!);
    assert.equal(client.claims.auth.subs.mob?.auths.inln?.mnp, false);
    assert.equal(((await client.instantLinkStart()).body.data as { code: number }).code, 2);
    assert.deepEqual((await client.instantLinkStart(phone)).body, { next: '', data: {} });
    const { link } = await latestMessage(server, phone);
    const opened = await fetch(link!, { redirect: 'manual' });
    assert.equal(opened.status, 302);
    const status = await backend.status(started.correlationId);
    assert.equal(status.success, 'true');
    assert.equal(status.phoneNumber, phone);
  });

  it('unify with neither number nor proveId still validates what it gets', async () => {
    const reply = await postJson<{ code: number; message: string }>(
      `${server.url}/v3/unify`,
      { possessionType: 'desktop', clientRequestId: 'r' },
      { authorization: `Bearer ${await backend.token()}` },
    );
    assert.equal(reply.status, 400);
    assert.match(reply.body.message, /finalTargetUrl/);
  });
});

describe('Mobile Auth number discovery (a carrier line is configured)', () => {
  let server: TestServer;
  let backend: Backend;
  before(async () => {
    server = await startTestServer({ config: { mobileAuthLine: LINE } });
    backend = Backend.of(server);
  });
  after(() => server.close());

  it('the carrier names the number: success for it, the new key is bound to it, no SMS', async () => {
    const key = new DeviceKey();
    const started = await backend.unify({ possessionType: 'mobile' });
    const client = new ProtocolClient(started.authToken!);
    await client.deviceStep(key);
    const ma = await client.mobileAuth();
    assert.equal(ma.carrierStatus, 200);
    assert.deepEqual(ma.finish?.body, { next: 'done' });
    const status = await backend.status(started.correlationId);
    assert.equal(status.success, 'true');
    assert.equal(status.phoneNumber, LINE);
    assert.equal(status.deviceId, key.deviceId);
    assert.equal((await server.outbox()).length, 0);

    const returning = await backend.unify({ possessionType: 'none' });
    assert.deepEqual((await new ProtocolClient(returning.authToken!).deviceStep(key)).body, { next: 'done' });
    assert.equal((await backend.status(returning.correlationId)).phoneNumber, LINE, 'the key was bound to the discovered number');
  });

  it('a session that has a number is never moved to the line by the carrier', async () => {
    const started = await backend.unify({ possessionType: 'mobile', phoneNumber: '+12025550142' });
    const client = new ProtocolClient(started.authToken!);
    await client.deviceStep(new DeviceKey());
    const ma = await client.mobileAuth();
    assert.equal(ma.carrierStatus, 404, 'the carrier does not vouch for another number');
    assert.equal((await backend.status(started.correlationId)).success, 'pending');
  });
});
