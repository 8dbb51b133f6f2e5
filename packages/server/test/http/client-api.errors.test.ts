/**
 * Client protocol errors: malformed or unauthenticated calls are HTTP errors with
 * `{code, message}`; business refusals are HTTP 200 envelopes whose `error` stops the SDK.
 * Also CORS and the signed unregister call.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { assertErrorBody, assertNoNull } from '../support/assertions.js';
import { DeviceKey } from '../support/device-key.js';
import { postJson, ProtocolClient } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';

const PHONE = '+12025550141';

describe('client protocol errors', () => {
  let server: TestServer;
  let backend: Backend;
  before(async () => {
    server = await startTestServer();
    backend = Backend.of(server);
  });
  after(() => server.close());

  const newClient = async (possessionType: 'mobile' | 'none' = 'mobile') =>
    new ProtocolClient((await backend.unify({ possessionType, phoneNumber: PHONE })).authToken!);

  it('a call without a Bearer authToken → 401 8002', async () => {
    const reply = await postJson(`${server.url}/v1/client/mobile/otp/start`, {});
    assert.equal(reply.status, 401);
    assertErrorBody(reply.body, 8002, /missing bearer authToken/);
  });

  it('a tampered authToken → 401 8002 that does not echo the token', async () => {
    const client = await newClient();
    const [h, p, s] = client.authToken.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64').toString());
    payload.auth.id = 'someone-else';
    const forged = [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.');
    const reply = await postJson(`${server.url}/v1/client/mobile/otp/start`, {}, { authorization: `Bearer ${forged}` });
    assert.equal(reply.status, 401);
    assertErrorBody(reply.body, 8002, /signature/);
    assert.ok(!JSON.stringify(reply.body).includes(forged.slice(0, 20)));
  });

  it('a malformed body → 400 8001 naming the field', async () => {
    const client = await newClient();
    const reply = await client.call('/v1/client/mobile/otp/finish', {});
    assert.equal(reply.status, 400);
    assertErrorBody(reply.body, 8001, /'otp' is missing/);
    const wrongType = await client.call('/v1/client/mobile/otp/finish', { otp: 1234 });
    assert.equal(wrongType.status, 400);
    assertErrorBody(wrongType.body, 8001, /'otp'/);
    const badRegistration = await client.call('/v1/client/device/passive/register', { registrations: [] });
    assert.equal(badRegistration.status, 400);
    assertErrorBody(badRegistration.body, 8001, /registrations/);
  });

  it('an out-of-order step → 200 with error 10003 and empty next (the SDK rejects with the message)', async () => {
    const client = await newClient();
    const reply = await client.otpFinish('1234');
    assert.equal(reply.status, 200);
    assert.equal(reply.body.next, '');
    assert.equal(reply.body.error?.code, 10003);
    assert.match(reply.body.error!.message, /step not allowed/);
    const finishWithoutStart = await client.call('/v1/client/mobile/instant/finish', { vfp: 'x' });
    assert.equal(finishWithoutStart.body.error?.code, 10003);
  });

  it('a registration with a key that is not P-256 PEM, or a bad signature, is refused', async () => {
    const client = await newClient();
    const key = new DeviceKey();
    const body = (pem: string, signature: string) => ({
      deviceName: 'x',
      deviceCapabilities: [],
      registrations: [{ publicKey: { id: key.keyId, alg: 'ES256', key: pem, uvLevel: 0 }, signature }],
      signals: {},
    });
    const badPem = await client.call('/v1/client/device/passive/register', body('not a pem', key.sign(client.claims.auth.chlg)));
    assert.equal(badPem.body.error?.code, 10000);
    const badSig = await client.call('/v1/client/device/passive/register', body(key.publicKeyPem, key.sign('other')));
    assert.equal(badSig.body.error?.code, 10000);
    assert.equal(badSig.body.data, undefined, 'no deviceId for a refused key');
    // Nothing was registered: the real registration still works.
    const ok = await client.register(key);
    assert.ok(ok.body.data?.deviceId);
  });

  it('every reply of a full flow is free of null', async () => {
    const client = await newClient();
    const key = new DeviceKey();
    for (const reply of [await client.deviceStep(key), await client.reportError('mobile/instant', 'x'), await client.otpStart()]) {
      assertNoNull(reply.body);
    }
  });

  it('CORS preflight on client paths allows the SDK headers; the server API has no CORS', async () => {
    const preflight = await fetch(`${server.url}/v1/client/device/passive/register`, {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,pa-version' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /PA-Signature/);
    const unify = await fetch(`${server.url}/v3/unify`, { method: 'OPTIONS', headers: { origin: 'https://shop.example' } });
    assert.equal(unify.headers.get('access-control-allow-origin'), null);
  });

  describe('signed unregister', () => {
    it('is refused unsigned or with a challenge issued for another device, and works when signed', async () => {
      const key = new DeviceKey();
      const other = new DeviceKey();
      const client = await newClient('none');
      await client.deviceStep(key);
      const otherClient = await newClient('none');
      await otherClient.deviceStep(other);
      const body = JSON.stringify({ deviceId: key.deviceId });

      const unsigned = await postJson(`${server.url}/v1/client/device/unregister`, body);
      assert.equal(unsigned.status, 401);
      assertErrorBody(unsigned.body, 8002);

      const foreign = await postJson<{ challenge: string }>(`${server.url}/v1/client/challenge`, { deviceId: other.deviceId });
      const wrongDevice = await postJson(`${server.url}/v1/client/device/unregister`, body, key.signRequest('/v1/client/device/unregister', body, foreign.body.challenge));
      assert.equal(wrongDevice.status, 401);

      const challenge = await postJson<{ challenge: string; ttl: number; deviceId: string }>(`${server.url}/v1/client/challenge`, { deviceId: key.deviceId });
      assert.equal(challenge.status, 200);
      assert.equal(challenge.body.ttl, 300);
      assert.equal(challenge.body.deviceId, key.deviceId);
      const tampered = await postJson(`${server.url}/v1/client/device/unregister`, JSON.stringify({ deviceId: key.deviceId, x: 1 }), key.signRequest('/v1/client/device/unregister', body, challenge.body.challenge));
      assert.equal(tampered.status, 401, 'the signature covers the exact body');

      const signed = await postJson(`${server.url}/v1/client/device/unregister`, body, key.signRequest('/v1/client/device/unregister', body, challenge.body.challenge));
      assert.deepEqual(signed, { status: 200, body: { next: '' } });

      const later = await newClient('none');
      const verify = await later.verify(key);
      assert.equal(verify.body.error?.code, 10006, 'the server no longer accepts the key');
    });
  });
});
