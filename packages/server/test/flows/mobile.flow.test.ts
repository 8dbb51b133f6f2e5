/**
 * Acceptance (a) and (b): the mobile flow over a real socket with a real P-256 Prove Key.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { DeviceKey } from '../support/device-key.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend, latestMessage } from '../support/server-api.js';

const MA_NUMBER = '+12025550101';
const OTP_NUMBER = '+12025550102';

describe('mobile flow', () => {
  let server: TestServer;
  let backend: Backend;
  before(async () => {
    server = await startTestServer({ mobileAuthNumbers: [MA_NUMBER] });
    backend = Backend.of(server);
  });
  after(() => server.close());

  it('new device: register key, Mobile Auth, done; status is true with deviceId and proveId', async () => {
    const key = new DeviceKey();
    const started = await backend.unify({ possessionType: 'mobile', phoneNumber: '2025550101' });
    assert.equal(started.success, 'pending');
    const client = new ProtocolClient(started.authToken!);
    assert.equal(client.claims.auth.next, 'device/passive');
    assert.equal(client.claims.auth.endp, server.url);

    const registered = await client.deviceStep(key);
    assert.equal(registered.status, 200);
    assert.equal(registered.body.next, 'mobile/instant');
    assert.ok(key.deviceId, 'the server returned a deviceId');

    const ma = await client.mobileAuth();
    assert.equal(ma.start.body.next, 'mobile/instant');
    assert.equal(ma.carrierStatus, 200);
    assert.deepEqual(ma.finish?.body, { next: 'done' });

    const status = await backend.status(started.correlationId);
    assert.equal(status.success, 'true');
    assert.equal(status.deviceId, key.deviceId);
    assert.ok(status.proveId);
    assert.equal(status.phoneNumber, '2025550101');
    assert.deepEqual(status.evaluation, { authentication: { result: 'pass' } });

    // The same device again: passive verification alone finishes, and no SMS is sent.
    const outboxBefore = (await server.outbox()).length;
    const again = await backend.unify({ possessionType: 'mobile', phoneNumber: '2025550101' });
    const client2 = new ProtocolClient(again.authToken!);
    const verified = await client2.deviceStep(key);
    assert.deepEqual(verified.body, { next: 'done' });
    const status2 = await backend.status(again.correlationId);
    assert.equal(status2.success, 'true');
    assert.equal(status2.deviceId, key.deviceId);
    assert.equal(status2.proveId, status.proveId, 'the same number keeps its proveId');
    assert.equal((await server.outbox()).length, outboxBefore, 'no SMS was sent');
  });

  it('Mobile Auth fails, OTP fallback: wrong code retries, right code finishes', async () => {
    const key = new DeviceKey();
    const started = await backend.unify({ possessionType: 'mobile', phoneNumber: OTP_NUMBER, allowOTPRetry: true });
    const client = new ProtocolClient(started.authToken!);
    await client.deviceStep(key);
    const ma = await client.mobileAuth();
    assert.equal(ma.carrierStatus, 404, 'the carrier does not recognise the number');
    const report = await client.reportError('mobile/instant', 'Mobile Auth failed (stepCode=AUTHENTICATION, errorCode=AUTH_BAD_CREDENTIALS)', 10002);
    assert.deepEqual(report.body, { next: 'mobile/otp' });

    const sent = await client.otpStart();
    assert.deepEqual(sent.body, { next: 'mobile/otp' }, 'no data: go on to code entry');
    const { code, body } = await latestMessage(server, OTP_NUMBER);
    assert.ok(code && /^\d{4}$/.test(code), 'a 4-digit code from the default template');
    assert.match(body, /is your temporary code/);

    const wrong = await client.otpFinish(code === '0000' ? '1111' : '0000');
    assert.equal(wrong.body.next, 'mobile/otp');
    assert.equal((wrong.body.data as { code: number }).code, 1);
    assert.equal(wrong.body.error, undefined);

    const right = await client.otpFinish(code!);
    assert.deepEqual(right.body, { next: 'done' });
    const status = await backend.status(started.correlationId);
    assert.equal(status.success, 'true');
    assert.equal(status.deviceId, key.deviceId);
  });

  it('too many wrong codes end in "false"', async () => {
    const started = await backend.unify({ possessionType: 'mobile', phoneNumber: OTP_NUMBER, allowOTPRetry: true });
    const client = new ProtocolClient(started.authToken!);
    await client.reportError('device/passive', 'storage unavailable');
    await client.otpStart();
    const { code } = await latestMessage(server, OTP_NUMBER);
    const wrongCode = code === '9999' ? '8888' : '9999';
    for (let i = 0; i < 3; i++) {
      const reply = await client.otpFinish(wrongCode);
      assert.equal(reply.body.next, 'mobile/otp', `retry ${i + 1} is allowed`);
    }
    const last = await client.otpFinish(wrongCode);
    assert.equal(last.body.next, 'done');
    assert.equal(last.body.error?.code, 10005);
    const afterCap = await client.otpFinish(code!);
    assert.equal(afterCap.body.error?.code, 10003, 'the right code no longer helps');
    const status = await backend.status(started.correlationId);
    assert.equal(status.success, 'false');
    assert.deepEqual(status.evaluation?.authentication?.result, 'fail');
    assert.ok(status.evaluation?.authentication?.failureReasons?.['9100']);
    assert.equal(status.deviceId, undefined);
  });

  it('without allowOTPRetry a single wrong code fails the session', async () => {
    const started = await backend.unify({ possessionType: 'mobile', phoneNumber: OTP_NUMBER });
    const client = new ProtocolClient(started.authToken!);
    await client.reportError('device/passive', 'no storage');
    await client.otpStart();
    const { code } = await latestMessage(server, OTP_NUMBER);
    const reply = await client.otpFinish(code === '1111' ? '2222' : '1111');
    assert.equal(reply.body.next, 'done');
    assert.equal(reply.body.error?.code, 10005);
    assert.equal((await backend.status(started.correlationId)).success, 'false');
  });

  it('resend and change of number send new codes; smsMessage sets the code length', async () => {
    const started = await backend.unify({
      possessionType: 'mobile',
      phoneNumber: OTP_NUMBER,
      smsMessage: 'Code ###### for Handset',
    });
    const client = new ProtocolClient(started.authToken!);
    await client.reportError('device/passive', 'no storage');
    await client.otpStart();
    const first = await latestMessage(server, OTP_NUMBER);
    assert.match(first.body, /^Code \d{6} for Handset$/);
    const resent = await client.otpStart();
    assert.deepEqual(resent.body, { next: 'mobile/otp' });
    const messages = (await server.outbox()).filter((m) => m.to === OTP_NUMBER && m.body.startsWith('Code '));
    assert.ok(messages.length >= 2, 'the resend sent another message');

    const invalid = await client.otpStart('12');
    assert.equal((invalid.body.data as { code: number }).code, 2, 'an impossible number is a validation error');
    const changed = await client.otpStart('+12025550177');
    assert.deepEqual(changed.body, { next: 'mobile/otp' });
    const newCode = await latestMessage(server, '+12025550177');
    assert.ok(newCode.code);
    assert.deepEqual((await client.otpFinish(newCode.code!)).body, { next: 'done' });
    const status = await backend.status(started.correlationId);
    assert.equal(status.success, 'true');
    assert.equal(status.phoneNumber, '+12025550177', 'the number the user changed to');
  });
});
