/**
 * Vonage adapter against the local Vonage fake (contract test, protocol/channels.md §2): the
 * request exactly as Vonage documents it, every outcome classified (HTTP 200 failures included),
 * no secret or full number in errors or logs, and delivery receipts with every signature method,
 * bad, missing and old signatures, over real HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { maskPhone } from '../../src/lib/phone.js';
import { ProviderError } from '../../src/sms/providers/provider.js';
import {
  parseVonageReceipt,
  verifyVonageReceipt,
  vonageReceiptStatus,
  vonageSignature,
  VONAGE_SIGNATURE_METHODS,
  type VonageSignatureMethod,
} from '../../src/sms/providers/vonage-receipt.js';
import { isGsm7, VonageSmsProvider } from '../../src/sms/providers/vonage.js';
import { CallbackReceiver, LogRecorder } from '../support/fakes/callback-receiver.js';
import { assertCleanRun as checkCleanRun, runFakePerFile } from '../support/fakes/contract-run.js';
import { VonageFake, type VonageOutcome } from '../support/fakes/vonage-fake.js';

const TO = '+447700900123';
const CALLBACK = 'https://handset.example/callbacks/sms/vonage';

describe('Vonage provider (contract, against the local fake)', () => {
  const fake = new VonageFake();
  let log: LogRecorder;
  const provider = (overrides: Partial<ConstructorParameters<typeof VonageSmsProvider>[0]> = {}): VonageSmsProvider =>
    new VonageSmsProvider({ apiKey: fake.apiKey, apiSecret: fake.apiSecret, from: 'Handset', baseUrl: fake.url, callbackUrl: CALLBACK, timeoutMs: 2000, log, ...overrides });

  runFakePerFile(fake, (recorder) => (log = recorder));

  const assertCleanRun = (errors: unknown[] = []): void => checkCleanRun(fake, log, { 'API secret': fake.apiSecret, 'full number': TO.slice(1) }, errors);

  it('sends api_key, api_secret, from, to without +, text, callback and client-ref as a form, and reads message-id', async () => {
    const result = await provider().send({ to: TO, body: 'Your code is 123456', reference: 'msg-1' });
    assert.match(result.providerMessageId, /^[0-9A-F]{16}$/);
    assert.equal(result.status, 'queued');
    assert.deepEqual(Object.fromEntries(fake.requests[0]!.form), {
      api_key: fake.apiKey,
      api_secret: fake.apiSecret,
      from: 'Handset',
      to: '447700900123',
      text: 'Your code is 123456',
      'client-ref': 'msg-1',
      callback: CALLBACK,
    });
    assert.ok(log.text.includes(maskPhone(TO)));
    assertCleanRun();
  });

  it('sends type=unicode for a text outside GSM-7, and a numeric sender without +', async () => {
    await provider({ from: '+447700900999' }).send({ to: TO, body: 'Код: 123456 ✓', reference: 'm' });
    const form = fake.requests[0]!.form;
    assert.equal(form.get('type'), 'unicode');
    assert.equal(form.get('from'), '447700900999');
    assert.equal(isGsm7('Your code is 123456 {ok} €'), true);
    assert.equal(isGsm7('✓'), false);
    assertCleanRun();
  });

  const cases: [VonageOutcome, string, boolean, string | undefined, number][] = [
    ['auth', 'auth-failed', false, '4', 200],
    ['invalid-number', 'invalid-number', false, '6', 200],
    ['opted-out', 'recipient-blocked', false, '7', 200],
    ['throttled', 'rate-limited', true, '1', 200],
    ['internal-error', 'provider-unavailable', true, '5', 200],
    ['rate-limited', 'rate-limited', true, undefined, 429],
    ['server-error', 'provider-unavailable', true, undefined, 500],
  ];
  for (const [outcome, reason, retryable, code, httpStatus] of cases) {
    it(`classifies ${outcome} (HTTP ${httpStatus}${code ? `, status ${code}` : ''}) as ${retryable ? 'retryable' : 'permanent'} ${reason}`, async () => {
      fake.script(outcome);
      const error = await provider().send({ to: TO, body: 'x', reference: 'm' }).catch((e: unknown) => e);
      assert.ok(error instanceof ProviderError);
      assert.equal(error.reason, reason);
      assert.equal(error.retryable, retryable);
      assert.equal(error.provider, 'vonage');
      assert.equal(error.providerCode, code);
      assert.equal(error.httpStatus, httpStatus);
      if (outcome === 'rate-limited') assert.equal(error.retryAfterMs, fake.retryAfterSeconds * 1000);
      assertCleanRun([error]);
    });
  }

  it('an unknown non-zero status is a permanent rejected', async () => {
    fake.script({ raw: { status: 200, headers: { 'content-type': 'application/json' }, body: '{"message-count":"1","messages":[{"status":"99","error-text":"?"}]}' } });
    const error = await provider().send({ to: TO, body: 'x', reference: 'm' }).catch((e: unknown) => e);
    assert.ok(error instanceof ProviderError && error.reason === 'rejected' && !error.retryable && error.providerCode === '99');
  });

  it('a multi-part answer succeeds only when every part has status 0', async () => {
    const part = (status: string, id: string): object => ({ to: '447700900123', 'message-id': id, status });
    fake.script({ raw: { status: 200, body: JSON.stringify({ 'message-count': '2', messages: [part('0', 'AAA'), part('0', 'BBB')] }) } });
    fake.script({ raw: { status: 200, body: JSON.stringify({ 'message-count': '2', messages: [part('0', 'AAA'), part('9', 'BBB')] }) } });
    assert.deepEqual(await provider().send({ to: TO, body: 'x', reference: 'm' }), { providerMessageId: 'AAA', status: 'queued' });
    const error = await provider().send({ to: TO, body: 'x', reference: 'm' }).catch((e: unknown) => e);
    assert.ok(error instanceof ProviderError && error.reason === 'insufficient-funds');
  });

  it('classifies an answer that never comes as a retryable timeout', async () => {
    fake.script('hang');
    const error = await provider({ timeoutMs: 150 }).send({ to: TO, body: 'x', reference: 'm' }).catch((e: unknown) => e);
    assert.ok(error instanceof ProviderError && error.reason === 'timeout' && error.retryable);
    assertCleanRun([error]);
  });

  for (const outcome of ['non-json', 'truncated'] as const) {
    it(`classifies a ${outcome} answer as retryable malformed-response`, async () => {
      fake.script(outcome);
      const error = await provider().send({ to: TO, body: 'x', reference: 'm' }).catch((e: unknown) => e);
      assert.ok(error instanceof ProviderError && error.reason === 'malformed-response' && error.retryable);
      assertCleanRun([error]);
    });
  }

  it('classifies 200 answers without messages, status or message-id as malformed-response', async () => {
    for (const body of ['{}', '{"messages":[]}', '{"messages":[{"message-id":"X"}]}', '{"messages":[{"status":"0"}]}', '{"messages":["x"]}']) {
      fake.script({ raw: { status: 200, body } });
      const error = await provider().send({ to: TO, body: 'x', reference: 'm' }).catch((e: unknown) => e);
      assert.ok(error instanceof ProviderError && error.reason === 'malformed-response', body);
    }
  });

  it('wrong credentials are answered status 4 by the fake (it checks api_key / api_secret)', async () => {
    const error = await provider({ apiSecret: 'not-the-secret' }).send({ to: TO, body: 'x', reference: 'm' }).catch((e: unknown) => e);
    assert.ok(error instanceof ProviderError && error.reason === 'auth-failed');
    assert.ok(!error.message.includes('not-the-secret') && !log.text.includes('not-the-secret'));
    assert.deepEqual(fake.violations, ['api_key/api_secret do not match']);
  });
});

describe('Vonage delivery receipts', () => {
  const fake = new VonageFake();
  const secret = 'sigsecret-0123456789abcdef';
  let method: VonageSignatureMethod = 'md5hash';
  const receiver = new CallbackReceiver((cb) => verifyVonageReceipt(cb.params, secret, method) === 'ok');
  before(() => receiver.start());
  after(() => receiver.stop());
  beforeEach(() => {
    receiver.received.length = 0;
  });

  const receipt = (status: string, extra: Record<string, string> = {}): Record<string, string> => ({
    msisdn: '447700900123',
    to: 'Handset',
    'network-code': '23410',
    messageId: '0A0000000123ABCD1',
    price: '0.03330000',
    status,
    scts: '2001011400',
    'err-code': '0',
    'api-key': fake.apiKey,
    'client-ref': 'msg-1',
    'message-timestamp': '2020-01-01 12:00:00',
    ...extra,
  });

  for (const m of VONAGE_SIGNATURE_METHODS) {
    it(`accepts a receipt signed with ${m} (GET and POST) and reads it`, async () => {
      method = m;
      assert.equal(await fake.sendReceipt(receiver.url, receipt('delivered'), { signing: 'good', secret, signatureMethod: m }), 204);
      assert.equal(await fake.sendReceipt(receiver.url, receipt('delivered'), { method: 'POST', signing: 'good', secret, signatureMethod: m }), 204);
      assert.deepEqual(parseVonageReceipt(receiver.received[0]!.params), {
        providerMessageId: '0A0000000123ABCD1',
        status: 'delivered',
        reference: 'msg-1',
      });
    });
  }

  it('refuses a badly signed, an unsigned and an old receipt', async () => {
    method = 'sha256';
    const opts = { secret, signatureMethod: 'sha256' as const };
    assert.equal(await fake.sendReceipt(receiver.url, receipt('delivered'), { ...opts, signing: 'bad' }), 403);
    assert.equal(await fake.sendReceipt(receiver.url, receipt('delivered'), { ...opts, signing: 'none' }), 403);
    assert.equal(await fake.sendReceipt(receiver.url, receipt('delivered'), { ...opts, signing: 'old' }), 403);
    const [bad, unsigned, old] = receiver.received.map((r) => verifyVonageReceipt(r.params, secret, 'sha256'));
    assert.deepEqual([bad, unsigned, old], ['bad-signature', 'unsigned', 'stale']);
  });

  it('refuses a receipt whose fields changed after signing, or signed with another method', () => {
    const params = { ...receipt('delivered'), timestamp: '1700000000' };
    const sig = vonageSignature(params, secret, 'sha512');
    assert.equal(verifyVonageReceipt({ ...params, sig }, secret, 'sha512', 1700000000), 'ok');
    assert.equal(verifyVonageReceipt({ ...params, status: 'failed', sig }, secret, 'sha512', 1700000000), 'bad-signature');
    assert.equal(verifyVonageReceipt({ ...params, sig }, secret, 'sha256', 1700000000), 'bad-signature');
    assert.equal(verifyVonageReceipt({ ...params, sig: 'zz' }, secret, 'sha512', 1700000000), 'bad-signature');
    // & and = inside values are signed as _ (Vonage's rule), matching the fake's own computation.
    const odd = { ...params, 'client-ref': 'a&b=c' };
    assert.equal(vonageSignature(odd, secret, 'md5hash'), VonageFake.signature(odd, secret, 'md5hash'));
  });

  it('maps receipt statuses and keeps err-code', () => {
    assert.deepEqual(
      ['delivered', 'expired', 'failed', 'rejected', 'accepted', 'buffered', 'unknown'].map(vonageReceiptStatus),
      ['delivered', 'undeliverable', 'undeliverable', 'failed', 'sent', 'sent', undefined],
    );
    assert.deepEqual(parseVonageReceipt(receipt('failed', { 'err-code': '6' })), {
      providerMessageId: '0A0000000123ABCD1',
      status: 'undeliverable',
      errorCode: '6',
      reference: 'msg-1',
    });
    assert.equal(parseVonageReceipt({ status: 'delivered' }), null);
    assert.equal(parseVonageReceipt(receipt('unknown')), null);
  });
});
