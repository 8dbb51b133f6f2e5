/**
 * The courier's queue and dispatcher on the test server's database (SQLite, and PostgreSQL in the
 * PostgreSQL pass) with a ManualClock: enqueue in the caller's transaction (a rollback leaves no
 * message), retries after 429 / 5xx / timeout with backoff and Retry-After, permanent errors not
 * retried, max attempts, expired leases claimed again, a lost lease not recorded over. No sleeping:
 * time moves only when the test advances it.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { CourierSmsSender } from '../../src/courier/courier-sender.js';
import { backoffDelay, DEFAULT_BACKOFF } from '../../src/courier/backoff.js';
import { courierSettingsFromEnv } from '../../src/courier/config.js';
import { Dispatcher, permanentStatus } from '../../src/courier/dispatcher.js';
import { claimDueMessages, recordOutcome } from '../../src/courier/queue.js';
import { ConfigError } from '../../src/config.js';
import { ManualClock } from '../../src/ports/clock.js';
import { cryptoRandom, type Random } from '../../src/ports/random.js';
import { ProviderChain } from '../../src/sms/providers/chain.js';
import { TwilioSmsProvider } from '../../src/sms/providers/twilio.js';
import { VonageSmsProvider } from '../../src/sms/providers/vonage.js';
import { SILENT_LOG, type SmsProvider } from '../../src/sms/providers/provider.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { TwilioFake } from '../support/fakes/twilio-fake.js';
import { VonageFake } from '../support/fakes/vonage-fake.js';
import { eventually, messageRows, TWILIO_FROM } from '../support/courier.js';

const TO = '+14155550100';
const START = 1_800_000_000_000;

/** Jitter fraction 0: every backoff is exactly half its exponential delay. */
const noJitter: Random = { ...cryptoRandom, bytes: (n) => new Uint8Array(n) };

describe('courier queue and dispatcher (ManualClock)', () => {
  let server: TestServer;
  const twilioFake = new TwilioFake();
  const vonageFake = new VonageFake();
  let clock: ManualClock;
  let nudges = 0;

  before(async () => {
    await Promise.all([twilioFake.start(), vonageFake.start()]);
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
    await Promise.all([twilioFake.stop(), vonageFake.stop()]);
  });
  beforeEach(async () => {
    clock = new ManualClock(START);
    nudges = 0;
    await server.server.deps.db.kysely.deleteFrom('sms_outbox').execute();
    for (const fake of [twilioFake, vonageFake]) {
      fake.requests.length = 0;
      fake.violations.length = 0;
    }
  });

  const db = () => server.server.deps.db;
  /** A short timeout only where Twilio hangs (it never answers there); elsewhere it would flake on a loaded machine. */
  const twilio = (timeoutMs = 5000) =>
    new TwilioSmsProvider({ accountSid: twilioFake.accountSid, authToken: twilioFake.authToken, from: TWILIO_FROM, baseUrl: twilioFake.url, timeoutMs });
  const vonage = () => new VonageSmsProvider({ apiKey: vonageFake.apiKey, apiSecret: vonageFake.apiSecret, from: 'Handset', baseUrl: vonageFake.url, timeoutMs: 2000 });
  const dispatcher = (providers: SmsProvider[] = [twilio()], settings: Partial<Dispatcher['settings']> = {}, owner = 'test-a') =>
    new Dispatcher({
      db: db(),
      provider: new ProviderChain({ providers, now: () => clock.now(), log: SILENT_LOG }),
      clock,
      random: noJitter,
      log: SILENT_LOG,
      owner,
      settings: { maxAttempts: 4, leaseMs: 30_000, backoff: { baseMs: 1_000, maxMs: 60_000 }, ...settings },
    });
  const sender = () => new CourierSmsSender({ clock, random: cryptoRandom, log: SILENT_LOG, nudge: () => nudges++ });
  const enqueue = async (body = 'Your code is 1234') => {
    await db().kysely.transaction().execute((trx) => sender().send({ to: TO, body, clientId: null, correlationId: null }, trx));
  };

  it('enqueues in the caller transaction: a rolled-back step leaves no message and no nudge', async () => {
    await assert.rejects(
      db().kysely.transaction().execute(async (trx) => {
        await sender().send({ to: TO, body: 'code 1', clientId: null, correlationId: null }, trx);
        throw new Error('the step failed after queuing');
      }),
      /the step failed/,
    );
    assert.deepEqual(await messageRows(db().kysely), []);
    await enqueue();
    const [row] = await messageRows(db().kysely);
    assert.equal(row?.status, 'queued');
    assert.equal(row?.attempts, 0);
    assert.equal(row?.provider, 'courier');
    assert.equal(row?.next_attempt_at, START);
    assert.equal(nudges, 0, 'outside runSessionStep nobody announced the commit: the poll finds it');
  });

  it('sends a queued message once and records provider, provider id and status sent', async () => {
    await enqueue();
    assert.equal(await dispatcher().runOnce(), 1);
    assert.equal(await dispatcher().runOnce(), 0, 'nothing is claimed twice');
    const [row] = await messageRows(db().kysely);
    assert.equal(row?.status, 'sent');
    assert.equal(row?.provider, 'twilio');
    assert.match(row?.provider_message_id ?? '', /^SM[0-9a-f]{32}$/);
    assert.equal(row?.attempts, 1);
    assert.equal(row?.last_error, null);
    assert.equal(twilioFake.requests.length, 1);
    assert.deepEqual(twilioFake.violations, []);
  });

  for (const [failure, reason] of [
    ['server-error', 'provider-unavailable'],
    ['rate-limited', 'rate-limited'],
    ['hang', 'timeout'],
  ] as const) {
    it(`retries after ${failure} with backoff (${reason}), then sends`, async () => {
      twilioFake.script(failure);
      await enqueue();
      assert.equal(await dispatcher([twilio(failure === 'hang' ? 300 : 5000)]).runOnce(), 1);
      const d = dispatcher();
      let [row] = await messageRows(db().kysely);
      assert.equal(row?.status, 'queued');
      assert.equal(row?.last_error, reason);
      assert.equal(row?.attempts, 1);
      // First retry: base 1 s with no jitter = 500 ms, or the Retry-After (7 s) of the 429.
      const wait = failure === 'rate-limited' ? twilioFake.retryAfterSeconds * 1000 : 500;
      assert.equal(row?.next_attempt_at, START + wait);
      clock.advance(wait - 1);
      assert.equal(await d.runOnce(), 0, 'not claimed before its next attempt time');
      clock.advance(1);
      assert.equal(await d.runOnce(), 1);
      [row] = await messageRows(db().kysely);
      assert.equal(row?.status, 'sent');
      assert.equal(row?.attempts, 2);
      assert.equal(row?.last_error, null);
      assert.equal(twilioFake.requests.length, 2);
    });
  }

  it('a permanent error is not retried: undeliverable with its reason', async () => {
    twilioFake.always('invalid-number');
    try {
      await enqueue();
      assert.equal(await dispatcher().runOnce(), 1);
      clock.advance(3_600_000);
      assert.equal(await dispatcher().runOnce(), 0);
      const [row] = await messageRows(db().kysely);
      assert.equal(row?.status, 'undeliverable');
      assert.equal(row?.last_error, 'invalid-number');
      assert.equal(row?.provider, 'twilio');
      assert.equal(row?.next_attempt_at, null);
      assert.equal(twilioFake.requests.length, 1);
    } finally {
      twilioFake.always('success');
    }
  });

  it('an account-side permanent error is failed, a recipient-side one undeliverable', () => {
    assert.equal(permanentStatus('auth-failed'), 'failed');
    assert.equal(permanentStatus('invalid-sender'), 'failed');
    assert.equal(permanentStatus('opted-out'), 'undeliverable');
    assert.equal(permanentStatus('carrier-filtered'), 'undeliverable');
  });

  it('gives up after maxAttempts retryable failures: failed, with the last reason', async () => {
    twilioFake.always('server-error');
    try {
      await enqueue();
      const d = dispatcher([twilio()], { maxAttempts: 3 });
      for (let attempt = 1; attempt <= 3; attempt++) {
        assert.equal(await d.runOnce(), 1, `attempt ${attempt}`);
        clock.advance(60_000);
      }
      assert.equal(await d.runOnce(), 0);
      const [row] = await messageRows(db().kysely);
      assert.equal(row?.status, 'failed');
      assert.equal(row?.last_error, 'provider-unavailable');
      assert.equal(row?.attempts, 3);
      assert.equal(twilioFake.requests.length, 3);
    } finally {
      twilioFake.always('success');
    }
  });

  it('fails over from Twilio (retryable) to Vonage within one attempt', async () => {
    twilioFake.script('server-error');
    await enqueue();
    assert.equal(await dispatcher([twilio(), vonage()]).runOnce(), 1);
    const [row] = await messageRows(db().kysely);
    assert.equal(row?.status, 'sent');
    assert.equal(row?.provider, 'vonage');
    assert.equal(row?.attempts, 1);
    assert.equal(vonageFake.requests.length, 1);
    assert.equal(VonageFake.fields(vonageFake.requests[0]!).get('client-ref'), row?.id, 'the message id travels as client-ref');
  });

  it('an expired lease is claimed again (crash recovery), and the old holder cannot record over it', async () => {
    await enqueue();
    const now = clock.now();
    const [claimed] = await claimDueMessages(db().kysely, db().dialect, { owner: 'crashed', now, leaseMs: 30_000, limit: 10 });
    assert.ok(claimed);
    assert.equal(await claimDueMessages(db().kysely, db().dialect, { owner: 'other', now, leaseMs: 30_000, limit: 10 }).then((r) => r.length), 0, 'leased');
    clock.advance(29_999);
    assert.equal(await dispatcher().runOnce(), 0, 'the lease still holds');
    clock.advance(1);
    assert.equal(await dispatcher().runOnce(), 1, 'the expired lease is taken over');
    const recorded = await recordOutcome(db().kysely, claimed.id, 'crashed', clock.now(), { kind: 'final', provider: null, reason: 'timeout', status: 'failed' });
    assert.equal(recorded, false);
    const [row] = await messageRows(db().kysely);
    assert.equal(row?.status, 'sent');
    assert.equal(row?.attempts, 2, 'each claim counts as an attempt');
  });

  it('start() sends what is queued, the poll timer finds later messages, stop() ends cleanly', async () => {
    const d = dispatcher([twilio()], { pollMs: 1_000 });
    await enqueue('first 1111');
    d.start();
    await eventually('the first message sent', async () => (await messageRows(db().kysely))[0]?.status === 'sent');
    await enqueue('second 2222');
    clock.advance(1_000);
    await eventually('the second message sent by the poll', async () => (await messageRows(db().kysely)).every((r) => r.status === 'sent'));
    await d.stop();
    assert.equal(clock.pendingTimers, 0, 'no poll timer is left armed');
    assert.equal(twilioFake.requests.length, 2);
  });

  it('backoff grows exponentially, is capped, jitters within [d/2, d) and honours Retry-After', () => {
    const settings = { baseMs: 1_000, maxMs: 8_000 };
    assert.deepEqual([1, 2, 3, 4, 5, 9].map((n) => backoffDelay(n, settings, noJitter)), [500, 1_000, 2_000, 4_000, 4_000, 4_000]);
    const high: Random = { ...cryptoRandom, bytes: (n) => new Uint8Array(n).fill(255) };
    const top = backoffDelay(3, settings, high);
    assert.ok(top > 3_999 && top <= 4_000, 'upper end of the jitter stays below the full delay');
    assert.equal(backoffDelay(1, settings, noJitter, 7_000), 7_000);
    assert.equal(DEFAULT_BACKOFF.baseMs > 0, true);
  });

  it('courier settings: defaults, values, and refusals naming the variable', () => {
    assert.equal(courierSettingsFromEnv({}).maxAttempts, 6);
    const s = courierSettingsFromEnv({ HANDSET_SMS_MAX_ATTEMPTS: '3', HANDSET_SMS_LEASE_MS: '5000', HANDSET_SMS_POLL_MS: '200', HANDSET_SMS_RETRY_BASE_MS: '100' });
    assert.deepEqual([s.maxAttempts, s.leaseMs, s.pollMs, s.backoff.baseMs], [3, 5_000, 200, 100]);
    for (const [name, bad] of [
      ['HANDSET_SMS_MAX_ATTEMPTS', '0'],
      ['HANDSET_SMS_LEASE_MS', '12.5'],
      ['HANDSET_SMS_POLL_MS', 'soon'],
      ['HANDSET_SMS_RETRY_BASE_MS', '-1'],
    ] as const) {
      assert.throws(() => courierSettingsFromEnv({ [name]: bad }), (e: unknown) => e instanceof ConfigError && e.message.startsWith(name));
    }
  });
});
