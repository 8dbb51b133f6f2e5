/**
 * The generic webhook provider against a local gateway fake (contract test, docs/channels.md
 * "Generic HTTPS webhook"): the signed JSON POST (signature recomputed by the fake from the spec,
 * not by the library), every outcome classified, no secret or full number in errors or logs, and
 * the gateway's signed status callback verified (good, bad, old, unsigned, malformed).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { maskPhone } from '../../src/lib/phone.js';
import { ProviderError } from '../../src/sms/providers/provider.js';
import { verifyWebhookSmsCallback, WebhookCallbackError, WebhookSmsProvider, type WebhookSmsCallback } from '../../src/sms/providers/webhook.js';
import { CallbackReceiver, LogRecorder } from '../support/fakes/callback-receiver.js';
import { assertCleanRun as checkCleanRun, runFakePerFile } from '../support/fakes/contract-run.js';
import { standardWebhookSignature, WebhookGatewayFake, type GatewayOutcome } from '../support/fakes/webhook-gateway-fake.js';

const TO = '+447700900123';
const CALLBACK = 'https://handset.example/callbacks/sms/webhook';

describe('webhook provider (contract, against the local gateway fake)', () => {
  const fake = new WebhookGatewayFake();
  let log: LogRecorder;
  const provider = (overrides: Partial<ConstructorParameters<typeof WebhookSmsProvider>[0]> = {}): WebhookSmsProvider =>
    new WebhookSmsProvider({ url: fake.endpoint, secret: fake.secret, callbackUrl: CALLBACK, timeoutMs: 2000, log, ...overrides });

  runFakePerFile(fake, (recorder) => (log = recorder));

  const assertCleanRun = (errors: unknown[] = []): void => checkCleanRun(fake, log, { secret: fake.secret.replace(/^whsec_/, ''), 'full number': TO.slice(1) }, errors);

  it('POSTs a signed sms.send event and reads the gateway id', async () => {
    const result = await provider().send({ to: TO, body: 'Your code is 123456', reference: 'msg-42' });
    assert.match(result.providerMessageId, /^gw_/);
    assert.equal(result.status, 'queued');
    const request = fake.requests[0]!;
    assert.equal(request.headers['webhook-id'], 'msg-42');
    const event = JSON.parse(request.body) as { type: string; data: unknown };
    assert.equal(event.type, 'sms.send');
    assert.deepEqual(event.data, { messageId: 'msg-42', to: TO, body: 'Your code is 123456', callbackUrl: CALLBACK });
    assert.ok(log.text.includes(maskPhone(TO)));
    assertCleanRun();
  });

  it('uses the same webhook-id on every attempt of a message (the gateway drops repeats)', async () => {
    await provider().send({ to: TO, body: 'x', reference: 'msg-7' });
    await provider().send({ to: TO, body: 'x', reference: 'msg-7' });
    assert.deepEqual(fake.requests.map((r) => r.headers['webhook-id']), ['msg-7', 'msg-7']);
    assertCleanRun();
  });

  it('a request signed with another secret is refused by the gateway (the fake checks the signature)', async () => {
    const other = new WebhookGatewayFake().secret;
    const error = await provider({ secret: other }).send({ to: TO, body: 'x', reference: 'm' }).catch((e: unknown) => e);
    assert.ok(error instanceof ProviderError && error.reason === 'auth-failed');
    assert.deepEqual(fake.violations, ['webhook-signature does not match']);
  });

  const cases: [GatewayOutcome, string, boolean][] = [
    ['auth', 'auth-failed', false],
    ['invalid-number', 'invalid-number', false],
    ['opted-out', 'opted-out', false],
    ['rate-limited', 'rate-limited', true],
    ['server-error', 'provider-unavailable', true],
  ];
  for (const [outcome, reason, retryable] of cases) {
    it(`classifies ${outcome} as ${retryable ? 'retryable' : 'permanent'} ${reason}`, async () => {
      fake.script(outcome);
      const error = await provider().send({ to: TO, body: 'x', reference: 'm' }).catch((e: unknown) => e);
      assert.ok(error instanceof ProviderError);
      assert.equal(error.reason, reason);
      assert.equal(error.retryable, retryable);
      assert.equal(error.provider, 'webhook');
      if (outcome === 'rate-limited') assert.equal(error.retryAfterMs, fake.retryAfterSeconds * 1000);
      assertCleanRun([error]);
    });
  }

  it('a 4xx naming an unknown code is rejected; a documented code, even a retryable one, is taken as given', async () => {
    fake.script({ raw: { status: 400, body: '{"code":"bananas"}' } });
    fake.script({ raw: { status: 400, body: '{"code":"timeout"}' } });
    const a = await provider().send({ to: TO, body: 'x', reference: 'm' }).catch((e: unknown) => e);
    const b = await provider().send({ to: TO, body: 'x', reference: 'm' }).catch((e: unknown) => e);
    assert.ok(a instanceof ProviderError && a.reason === 'rejected');
    // A gateway may name a retryable reason for a 4xx (e.g. its own upstream timed out): honoured.
    assert.ok(b instanceof ProviderError && b.reason === 'timeout' && b.retryable);
  });

  it('classifies a hang as timeout and non-JSON / truncated / id-less 2xx as malformed-response', async () => {
    fake.script('hang');
    const hang = await provider({ timeoutMs: 150 }).send({ to: TO, body: 'x', reference: 'm' }).catch((e: unknown) => e);
    assert.ok(hang instanceof ProviderError && hang.reason === 'timeout');
    const bad: (Parameters<WebhookGatewayFake['script']>[0])[] = [
      'non-json',
      'truncated',
      { raw: { status: 202, body: '{}' } },
      { raw: { status: 202, body: '{"id":"gw_1","status":"failed"}' } },
    ];
    for (const answer of bad) {
      fake.script(answer);
      const error = await provider().send({ to: TO, body: 'x', reference: 'm' }).catch((e: unknown) => e);
      assert.ok(error instanceof ProviderError && error.reason === 'malformed-response' && error.retryable, JSON.stringify(answer));
    }
    assertCleanRun();
  });
});

describe('webhook gateway status callbacks (Standard Webhooks)', () => {
  const fake = new WebhookGatewayFake();
  let last: WebhookSmsCallback | Error | undefined;
  const receiver = new CallbackReceiver((cb) => {
    try {
      last = verifyWebhookSmsCallback(cb.rawBody, cb.headers as Record<string, string>, fake.secret);
      return true;
    } catch (error) {
      last = error as Error;
      return false;
    }
  });
  before(() => receiver.start());
  after(() => receiver.stop());

  it('accepts a signed callback and reads it, with its webhook-id for deduplication', async () => {
    const status = await fake.sendStatus(receiver.url, { messageId: 'msg-1', id: 'gw_1', status: 'undeliverable', errorCode: 'E42', reason: 'opted-out' }, 'good', 'evt_1');
    assert.equal(status, 204);
    assert.deepEqual(last, {
      webhookId: 'evt_1',
      update: { providerMessageId: 'gw_1', status: 'undeliverable', reference: 'msg-1', errorCode: 'E42', reason: 'opted-out' },
    });
  });

  for (const signing of ['bad', 'old', 'none'] as const) {
    it(`refuses a callback signed ${signing}`, async () => {
      assert.equal(await fake.sendStatus(receiver.url, { messageId: 'msg-1', id: 'gw_1', status: 'delivered' }, signing), 403);
      assert.ok(last instanceof WebhookCallbackError);
    });
  }

  it('refuses a correctly signed body that is not an sms.status event', () => {
    const ts = Math.floor(Date.now() / 1000);
    for (const body of ['{"type":"sms.send","data":{}}', '{"type":"sms.status","data":{"id":"gw","status":"exploded"}}', 'not json']) {
      const headers = { 'webhook-id': 'e', 'webhook-timestamp': String(ts), 'webhook-signature': standardWebhookSignature(fake.secret, 'e', ts, body) };
      assert.throws(() => verifyWebhookSmsCallback(body, headers, fake.secret), WebhookCallbackError);
    }
  });

  it('drops a retryable reason in a callback (a final status carries only permanent reasons)', () => {
    const ts = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ type: 'sms.status', data: { id: 'gw', status: 'failed', reason: 'timeout' } });
    const headers = { 'webhook-id': 'e', 'webhook-timestamp': String(ts), 'webhook-signature': standardWebhookSignature(fake.secret, 'e', ts, body) };
    assert.deepEqual(verifyWebhookSmsCallback(body, headers, fake.secret).update, { providerMessageId: 'gw', status: 'failed' });
  });
});
