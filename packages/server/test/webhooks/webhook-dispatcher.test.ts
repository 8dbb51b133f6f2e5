/**
 * The webhook dispatcher on a ManualClock, on both databases: a receiver that keeps failing is
 * retried with growing delays (capped at an hour) until the event is a day old, then the delivery
 * is `failed` with its last status; an unreachable receiver is retried the same way; a claim
 * holds a lease so a second dispatcher does not send the same row; env settings are validated.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ManualClock } from '../../src/ports/clock.js';
import { cryptoRandom, type Random } from '../../src/ports/random.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { addWebhookEndpoint } from '../../src/webhooks/endpoints-repo.js';
import { enqueueWebhookEvent } from '../../src/webhooks/events.js';
import { webhookSettingsFromEnv } from '../../src/webhooks/wiring.js';

// Far in the future: the test server's own dispatcher (real clock) never finds these rows due.
const START = 4_000_000_000_000;
const DAY = 24 * 3600_000;
const noJitter: Random = { ...cryptoRandom, bytes: (n) => new Uint8Array(n) };
const silent = { info: () => undefined, warn: () => undefined };

describe('webhook dispatcher (ManualClock)', () => {
  let server: TestServer;
  let clock: ManualClock;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());
  beforeEach(async () => {
    clock = new ManualClock(START);
    const db = server.server.deps.db.kysely;
    await db.deleteFrom('webhook_deliveries').execute();
    await db.deleteFrom('webhook_endpoints').execute();
    await addWebhookEndpoint(db, { random: cryptoRandom, now: START }, { clientId: server.clientId, url: 'http://127.0.0.1:9/hook' });
    await db.transaction().execute((trx) =>
      enqueueWebhookEvent(trx, { clock, random: cryptoRandom }, { type: 'session.failed', clientId: server.clientId, phoneE164: '+12025550190', data: { correlationId: 'c' } }),
    );
  });

  const row = () => server.server.deps.db.kysely.selectFrom('webhook_deliveries').selectAll().executeTakeFirstOrThrow();

  async function driveUntilDone(fetchStub: typeof fetch): Promise<{ delays: number[]; calls: number }> {
    let calls = 0;
    const counting: typeof fetch = async (...args) => {
      calls++;
      return fetchStub(...args);
    };
    const dispatcher = new WebhookDispatcher({ db: server.server.deps.db, clock, random: noJitter, log: silent, owner: 'test', fetch: counting });
    const delays: number[] = [];
    for (let i = 0; i < 100; i++) {
      assert.equal(await dispatcher.runOnce(), 1);
      const current = await row();
      if (current.status !== 'pending') break;
      const wait = Number(current.next_attempt_at) - clock.now();
      delays.push(wait);
      clock.advance(wait);
    }
    return { delays, calls };
  }

  it('retries a failing receiver with growing delays capped at an hour, and gives up after a day', async () => {
    const { delays, calls } = await driveUntilDone(async () => new Response(null, { status: 500 }));
    const final = await row();
    assert.equal(final.status, 'failed');
    assert.equal(Number(final.last_status), 500);
    assert.equal(final.last_error, 'http 500');
    assert.equal(Number(final.attempts), calls);
    assert.deepEqual(delays.slice(0, 3), [2_500, 5_000, 10_000], 'equal jitter at 0: half of 5 s, 10 s, 20 s');
    assert.ok(delays.every((d, i) => i === 0 || d >= delays[i - 1]!), 'never shorter than the one before');
    assert.ok(Math.max(...delays) <= 3600_000, 'capped at an hour');
    assert.ok(clock.now() - START <= DAY, 'the last attempt is within the day');
    assert.ok(clock.now() - START > DAY - 3600_000, 'and retries went on for most of it');
  });

  it('retries an unreachable receiver the same way', async () => {
    const { calls } = await driveUntilDone(async () => {
      throw new TypeError('fetch failed');
    });
    const final = await row();
    assert.equal(final.status, 'failed');
    assert.equal(final.last_status, null);
    assert.equal(final.last_error, 'unreachable');
    assert.ok(calls > 10);
  });

  it('a claimed delivery is not claimed by another dispatcher while its lease holds', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow = new WebhookDispatcher({
      db: server.server.deps.db,
      clock,
      random: noJitter,
      log: silent,
      owner: 'a',
      fetch: async () => {
        await held;
        return new Response(null, { status: 204 });
      },
    });
    const other = new WebhookDispatcher({ db: server.server.deps.db, clock, random: noJitter, log: silent, owner: 'b', fetch: async () => new Response(null, { status: 204 }) });
    const first = slow.runOnce();
    // Wait until the slow one holds the claim.
    for (let i = 0; i < 200 && (await row()).status !== 'sending'; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await other.runOnce(), 0);
    release();
    assert.equal(await first, 1);
    const final = await row();
    assert.equal(final.status, 'delivered');
    assert.equal(final.locked_by, 'a');
  });

  it('refuses bad settings by variable name', () => {
    assert.throws(() => webhookSettingsFromEnv({ HANDSET_WEBHOOK_POLL_MS: '0' }), /HANDSET_WEBHOOK_POLL_MS/);
    assert.throws(() => webhookSettingsFromEnv({ HANDSET_WEBHOOK_RETRY_BASE_MS: 'soon' }), /HANDSET_WEBHOOK_RETRY_BASE_MS/);
    assert.deepEqual(webhookSettingsFromEnv({ HANDSET_WEBHOOK_TIMEOUT_MS: '1000' }), { timeoutMs: 1000 });
  });
});
