/**
 * The courier's wiring: without HANDSET_SMS_PROVIDERS the development outbox sender is used as
 * before; a provider configuration that is wrong stops the start with an error naming the variable
 * and never its value; while the courier works, the logs carry neither a provider secret, nor a full
 * number, nor the code sent.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../src/config.js';
import { createLogger } from '../../src/deps.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { DeviceKey } from '../support/device-key.js';
import { TwilioFake } from '../support/fakes/twilio-fake.js';
import { courierEnv, receivedBy } from '../support/courier.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';

describe('courier wiring', () => {
  const fake = new TwilioFake();
  const lines: string[] = [];
  let server: TestServer;
  before(async () => {
    await fake.start();
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    server = await startTestServer({ overrides: { env: courierEnv([fake]), log: createLogger('debug', sink) } });
  });
  after(async () => {
    await server.close();
    await fake.stop();
  });

  it('without HANDSET_SMS_PROVIDERS the outbox sender is used, as before', async () => {
    const plain = await startTestServer({ overrides: { env: {} } });
    try {
      assert.equal(plain.server.deps.sms.name, 'outbox');
      assert.equal(plain.server.deps.courier, undefined);
      assert.equal(plain.server.deps.smsCallbacks, undefined);
    } finally {
      await plain.close();
    }
  });

  it('a wrong provider configuration stops the start, naming the variable, not the value', async () => {
    const secret = 'tok-very-secret-value-123';
    await assert.rejects(
      startTestServer({ overrides: { env: { HANDSET_SMS_PROVIDERS: 'twilio', HANDSET_TWILIO_ACCOUNT_SID: 'nope', HANDSET_TWILIO_AUTH_TOKEN: secret } } }),
      (error: unknown) => error instanceof ConfigError && /HANDSET_TWILIO_ACCOUNT_SID/.test(error.message) && !error.message.includes(secret),
    );
    await assert.rejects(
      startTestServer({ overrides: { env: { ...courierEnv([fake]), HANDSET_SMS_LEASE_MS: '5' } } }),
      (error: unknown) => error instanceof ConfigError && /HANDSET_SMS_LEASE_MS/.test(error.message),
    );
  });

  it('a committed step wakes the dispatcher at once (after commit), not the poll', async () => {
    // A one-minute poll: within the 30 s wait only the after-commit nudge can send the message.
    const slow = await startTestServer({ overrides: { env: { ...courierEnv([fake]), HANDSET_SMS_POLL_MS: '60000' } } });
    try {
      const started = await Backend.of(slow).unify({ possessionType: 'desktop', phoneNumber: '+12025550162', finalTargetUrl: 'https://shop.example.com/verified' });
      await new ProtocolClient(started.authToken!).instantLinkStart();
      const { link } = await receivedBy(fake, '+12025550162');
      assert.ok(link?.startsWith(slow.url));
    } finally {
      await slow.close();
    }
  });

  it('logs hold no provider secret, no full number and no code while messages go out', async () => {
    const phone = '+12025550161';
    const backend = Backend.of(server);
    const started = await backend.unify({ possessionType: 'mobile', phoneNumber: phone });
    const client = new ProtocolClient(started.authToken!);
    await client.deviceStep(new DeviceKey());
    await client.reportError('mobile/instant', 'Mobile Auth failed', 10002);
    await client.otpStart();
    const { code, body } = await receivedBy(fake, phone);
    assert.deepEqual((await client.otpFinish(code!)).body, { next: 'done' });
    const text = lines.join('');
    assert.match(text, /sms queued/);
    assert.match(text, /sms sent/);
    assert.ok(!text.includes(fake.authToken), 'no auth token');
    assert.ok(!text.includes(fake.accountSid), 'no account SID');
    assert.ok(!text.includes('2025550161'), 'no full number');
    // The code itself is 4 digits (a timing field could hold the same digits): look for the message text.
    assert.ok(!text.includes(body) && !text.includes('temporary code'), 'no message body, so no code');
  });
});
