/**
 * Twilio adapter against the local Twilio fake (contract test, protocol/channels.md §1): the
 * request exactly as Twilio documents it, every outcome classified, no secret or full number in
 * errors or logs, and status callbacks verified by X-Twilio-Signature over real HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { maskPhone } from '../../src/lib/phone.js';
import { ProviderError } from '../../src/sms/providers/provider.js';
import { parseTwilioStatusCallback, verifyTwilioCallback } from '../../src/sms/providers/twilio-callback.js';
import { TwilioSmsProvider, twilioStatus } from '../../src/sms/providers/twilio.js';
import { CallbackReceiver, LogRecorder } from '../support/fakes/callback-receiver.js';
import { assertCleanRun as checkCleanRun, runFakePerFile } from '../support/fakes/contract-run.js';
import { TwilioFake, type TwilioOutcome } from '../support/fakes/twilio-fake.js';

const TO = '+447700900123';
const FROM = '+15005550006';
const CALLBACK = 'https://handset.example/callbacks/sms/twilio';

describe('Twilio provider (contract, against the local fake)', () => {
  const fake = new TwilioFake();
  let log: LogRecorder;
  const provider = (overrides: Partial<ConstructorParameters<typeof TwilioSmsProvider>[0]> = {}): TwilioSmsProvider =>
    new TwilioSmsProvider({
      accountSid: fake.accountSid,
      authToken: fake.authToken,
      from: FROM,
      baseUrl: fake.url,
      statusCallbackUrl: CALLBACK,
      timeoutMs: 2000,
      log,
      ...overrides,
    });

  runFakePerFile(fake, (recorder) => (log = recorder));

  const assertCleanRun = (errors: unknown[] = []): void => checkCleanRun(fake, log, { 'auth token': fake.authToken, 'full number': TO, 'full number without +': TO.slice(1) }, errors);

  it('sends To, Body, From and StatusCallback as a form with Basic auth, and reads the 201', async () => {
    const result = await provider().send({ to: TO, body: 'Your code is 123456', reference: 'msg-1' });
    assert.match(result.providerMessageId, /^SM[0-9a-f]{32}$/);
    assert.equal(result.status, 'queued');
    assert.equal(fake.requests.length, 1);
    const form = Object.fromEntries(fake.requests[0]!.form);
    assert.deepEqual(form, { To: TO, Body: 'Your code is 123456', From: FROM, StatusCallback: CALLBACK });
    assert.ok(log.text.includes(maskPhone(TO)), 'the log names the masked number');
    assertCleanRun();
  });

  it('sends MessagingServiceSid instead of From when configured, and no StatusCallback when unset', async () => {
    const service = `MG${'a'.repeat(32)}`;
    await provider({ from: undefined, messagingServiceSid: service, statusCallbackUrl: undefined }).send({ to: TO, body: 'hi', reference: 'm' });
    assert.deepEqual(Object.fromEntries(fake.requests[0]!.form), { To: TO, Body: 'hi', MessagingServiceSid: service });
    assertCleanRun();
  });

  it('refuses settings with both or neither of from and messagingServiceSid', () => {
    assert.throws(() => provider({ messagingServiceSid: `MG${'a'.repeat(32)}` }), /exactly one/);
    assert.throws(() => provider({ from: undefined }), /exactly one/);
  });

  const cases: [TwilioOutcome, string, boolean, string | undefined][] = [
    ['auth', 'auth-failed', false, '20003'],
    ['invalid-number', 'invalid-number', false, '21211'],
    ['opted-out', 'opted-out', false, '21610'],
    ['rate-limited', 'rate-limited', true, '20429'],
    ['server-error', 'provider-unavailable', true, '20500'],
  ];
  for (const [outcome, reason, retryable, code] of cases) {
    it(`classifies ${outcome} as ${retryable ? 'retryable' : 'permanent'} ${reason}`, async () => {
      fake.script(outcome);
      const error = await provider().send({ to: TO, body: 'x', reference: 'm' }).then(
        () => assert.fail('should have failed'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof ProviderError);
      assert.equal(error.reason, reason);
      assert.equal(error.retryable, retryable);
      assert.equal(error.classification, retryable ? 'retryable' : 'permanent');
      assert.equal(error.provider, 'twilio');
      assert.equal(error.providerCode, code);
      if (outcome === 'rate-limited') assert.equal(error.retryAfterMs, fake.retryAfterSeconds * 1000);
      assert.ok(log.text.includes(reason));
      assertCleanRun([error]);
    });
  }

  it('classifies an answer that never comes as a retryable timeout', async () => {
    fake.script('hang');
    await assert.rejects(provider({ timeoutMs: 150 }).send({ to: TO, body: 'x', reference: 'm' }), (e: unknown) => {
      assert.ok(e instanceof ProviderError && e.reason === 'timeout' && e.retryable);
      return true;
    });
    assertCleanRun();
  });

  for (const outcome of ['non-json', 'truncated'] as const) {
    it(`classifies a ${outcome} 2xx answer as retryable malformed-response`, async () => {
      fake.script(outcome);
      await assert.rejects(provider().send({ to: TO, body: 'x', reference: 'm' }), (e: unknown) => {
        assert.ok(e instanceof ProviderError && e.reason === 'malformed-response' && e.retryable);
        return true;
      });
      assertCleanRun();
    });
  }

  it('classifies a 201 without sid, or with an unknown status, as malformed-response', async () => {
    fake.script({ raw: { status: 201, headers: { 'content-type': 'application/json' }, body: '{"status":"queued"}' } });
    fake.script({ raw: { status: 201, headers: { 'content-type': 'application/json' }, body: '{"sid":"SM1","status":"teleported"}' } });
    for (let i = 0; i < 2; i++) {
      await assert.rejects(provider().send({ to: TO, body: 'x', reference: 'm' }), (e: unknown) => e instanceof ProviderError && e.reason === 'malformed-response');
    }
  });

  it('classifies a refused connection as a retryable network-error', async () => {
    const gone = new TwilioFake(fake.accountSid, fake.authToken);
    await gone.start();
    const url = gone.url;
    await gone.stop();
    await assert.rejects(provider({ baseUrl: url }).send({ to: TO, body: 'x', reference: 'm' }), (e: unknown) => {
      assert.ok(e instanceof ProviderError && e.reason === 'network-error' && e.retryable);
      return true;
    });
  });

  it('a wrong auth token is answered 401 20003 (the fake checks the Basic header)', async () => {
    const error = await provider({ authToken: 'wrong-token' }).send({ to: TO, body: 'x', reference: 'm' }).catch((e: unknown) => e);
    assert.ok(error instanceof ProviderError && error.reason === 'auth-failed' && !error.retryable);
    assert.ok(!String(error.message).includes('wrong-token'));
    assert.deepEqual(fake.violations, ['authorization is not Basic AccountSid:AuthToken']);
  });

  it('maps every documented MessageStatus onto Handset statuses', () => {
    assert.deepEqual(
      ['queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'accepted', 'nonsense'].map(twilioStatus),
      ['queued', 'sending', 'sent', 'delivered', 'undeliverable', 'failed', 'queued', undefined],
    );
  });
});

describe('Twilio status callbacks (X-Twilio-Signature)', () => {
  const fake = new TwilioFake();
  const receiver = new CallbackReceiver((cb, url) =>
    verifyTwilioCallback(url, cb.params, cb.headers['x-twilio-signature'] as string | undefined, fake.authToken),
  );
  before(() => receiver.start());
  after(() => receiver.stop());
  beforeEach(() => {
    receiver.received.length = 0;
  });

  const params = (status: string, extra: Record<string, string> = {}): Record<string, string> => ({
    AccountSid: fake.accountSid,
    From: FROM,
    MessageSid: `SM${'b'.repeat(32)}`,
    MessageStatus: status,
    SmsSid: `SM${'b'.repeat(32)}`,
    SmsStatus: status,
    To: TO,
    ApiVersion: '2010-04-01',
    ...extra,
  });

  it('accepts a correctly signed callback and reads its status', async () => {
    assert.equal(await fake.sendStatusCallback(receiver.url, params('delivered')), 204);
    const cb = receiver.received[0]!;
    assert.equal(cb.accepted, true);
    assert.deepEqual(parseTwilioStatusCallback(cb.params), { providerMessageId: `SM${'b'.repeat(32)}`, status: 'delivered' });
  });

  it('reads a failed callback with its ErrorCode and reason (30007 carrier filtering)', async () => {
    assert.equal(await fake.sendStatusCallback(receiver.url, params('undelivered', { ErrorCode: '30007' })), 204);
    assert.deepEqual(parseTwilioStatusCallback(receiver.received[0]!.params), {
      providerMessageId: `SM${'b'.repeat(32)}`,
      status: 'undeliverable',
      errorCode: '30007',
      reason: 'carrier-filtered',
    });
  });

  it('refuses a callback signed with another token, or unsigned', async () => {
    assert.equal(await fake.sendStatusCallback(receiver.url, params('delivered'), 'bad'), 403);
    assert.equal(await fake.sendStatusCallback(receiver.url, params('delivered'), 'none'), 403);
    assert.deepEqual(receiver.received.map((r) => r.accepted), [false, false]);
  });

  it('refuses a signature made for other parameters or another URL', () => {
    const good = fake.sign(CALLBACK, params('delivered'));
    assert.equal(verifyTwilioCallback(CALLBACK, params('delivered'), good, fake.authToken), true);
    assert.equal(verifyTwilioCallback(CALLBACK, params('failed'), good, fake.authToken), false);
    assert.equal(verifyTwilioCallback(`${CALLBACK}?x=1`, params('delivered'), good, fake.authToken), false);
    assert.equal(verifyTwilioCallback(CALLBACK, params('delivered'), good.slice(0, -2), fake.authToken), false);
    assert.equal(verifyTwilioCallback(CALLBACK, params('delivered'), '', fake.authToken), false);
  });

  it('ignores callbacks without MessageSid or with an unknown status', () => {
    assert.equal(parseTwilioStatusCallback({ MessageStatus: 'delivered' }), null);
    assert.equal(parseTwilioStatusCallback({ MessageSid: 'SM1', MessageStatus: 'exploded' }), null);
  });
});
