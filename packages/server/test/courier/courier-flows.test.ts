/**
 * The courier end to end (issue 11 "Done when"): a mobile OTP flow and a desktop Instant Link flow
 * through the Twilio fake and through the Vonage fake, the code or link read from the fake's
 * recorded request; failover Twilio (retryable failure) → Vonage; a permanent refusal recorded on
 * the message and on the session's timeline, never retried. The server is configured only through
 * the HANDSET_SMS_* variables, as in production; nothing reaches the development outbox path.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deliveryStats, recentMessages, sessionTimeline } from '../../src/admin/admin-queries.js';
import { purgeMessageBodies } from '../../src/store/maintenance.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { DeviceKey } from '../support/device-key.js';
import { TwilioFake } from '../support/fakes/twilio-fake.js';
import { VonageFake } from '../support/fakes/vonage-fake.js';
import { courierEnv, eventually, messageRows, receivedBy } from '../support/courier.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';

const TARGET = 'https://shop.example.com/verified';

async function mobileOtpFlow(server: TestServer, fake: TwilioFake | VonageFake, phone: string): Promise<string> {
  const backend = Backend.of(server);
  const key = new DeviceKey();
  const started = await backend.unify({ possessionType: 'mobile', phoneNumber: phone });
  const client = new ProtocolClient(started.authToken!);
  await client.deviceStep(key);
  const ma = await client.mobileAuth();
  assert.equal(ma.carrierStatus, 404, 'the sandbox carrier does not know the number: OTP');
  await client.reportError('mobile/instant', 'Mobile Auth failed (stepCode=AUTHENTICATION, errorCode=AUTH_BAD_CREDENTIALS)', 10002);
  assert.deepEqual((await client.otpStart()).body, { next: 'mobile/otp' });
  const { code, body } = await receivedBy(fake, phone);
  assert.match(body, /is your temporary code/);
  assert.ok(code);
  assert.deepEqual((await client.otpFinish(code)).body, { next: 'done' });
  const status = await backend.status(started.correlationId);
  assert.equal(status.success, 'true');
  return started.correlationId;
}

async function desktopInstantLinkFlow(server: TestServer, fake: TwilioFake | VonageFake, phone: string): Promise<string> {
  const backend = Backend.of(server);
  const started = await backend.unify({ possessionType: 'desktop', phoneNumber: phone, finalTargetUrl: TARGET });
  const client = new ProtocolClient(started.authToken!);
  const socket = await client.openStatusSocket();
  assert.deepEqual((await client.instantLinkStart()).body, { next: '', data: {} });
  const { link } = await receivedBy(fake, phone);
  assert.ok(link?.startsWith(`${server.url}/v1/il/`));
  const opened = await fetch(link!, { redirect: 'manual' });
  assert.equal(opened.status, 302);
  assert.deepEqual(JSON.parse(await socket.next(15_000)), { next: 'done' });
  socket.close();
  assert.equal((await backend.status(started.correlationId)).success, 'true');
  return started.correlationId;
}

for (const name of ['twilio', 'vonage'] as const) {
  describe(`courier flows through the ${name} fake`, () => {
    const fake = name === 'twilio' ? new TwilioFake() : new VonageFake();
    let server: TestServer;
    before(async () => {
      await fake.start();
      server = await startTestServer({ overrides: { env: courierEnv([fake]) } });
    });
    after(async () => {
      await server.close();
      await fake.stop();
    });

    it('uses the courier (not the development outbox sender)', () => {
      assert.equal(server.server.deps.sms.name, 'courier');
      assert.ok(server.server.deps.courier);
    });

    it('mobile OTP flow: the code arrives at the provider, the flow finishes', async () => {
      const correlationId = await mobileOtpFlow(server, fake, '+12025550141');
      const rows = (await messageRows(server.server.deps.db.kysely)).filter((r) => r.correlation_id === correlationId);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.status, 'sent');
      assert.equal(rows[0]?.provider, name);
      assert.ok(rows[0]?.provider_message_id);
      assert.deepEqual(fake.violations, []);
    });

    it('desktop Instant Link flow: the link arrives at the provider, opening it releases the desktop', async () => {
      const correlationId = await desktopInstantLinkFlow(server, fake, '+12025550142');
      const rows = (await messageRows(server.server.deps.db.kysely)).filter((r) => r.correlation_id === correlationId);
      assert.equal(rows[0]?.status, 'sent');
      assert.equal(rows[0]?.provider, name);
      assert.deepEqual(fake.violations, []);
    });

    it('purge blanks the bodies of messages whose session ended, keeps those still usable', async () => {
      const db = server.server.deps.db.kysely;
      const backend = Backend.of(server);
      const waiting = await backend.unify({ possessionType: 'desktop', phoneNumber: '+12025550146', finalTargetUrl: TARGET });
      await new ProtocolClient(waiting.authToken!).instantLinkStart();
      await eventually('the waiting link sent', async () => (await messageRows(db)).find((r) => r.correlation_id === waiting.correlationId && r.status === 'sent'));
      assert.ok((await purgeMessageBodies(db, Date.now())) >= 2, 'the finished OTP and Instant Link flows');
      const rows = await db.selectFrom('sms_outbox').select(['correlation_id', 'body', 'status', 'provider', 'to_e164', 'sent_at']).execute();
      for (const row of rows) {
        if (row.correlation_id === waiting.correlationId) assert.match(row.body, /\/v1\/il\//, 'the link can still be used');
        else assert.equal(row.body, '', 'an ended session keeps no code or link');
        assert.equal(row.status, 'sent');
        assert.equal(row.provider, name);
        assert.ok(row.sent_at > 0);
      }
      assert.equal(await purgeMessageBodies(db, Date.now()), 0, 'nothing left to blank');
    });
  });
}

describe('courier failover and permanent refusals (twilio,vonage)', () => {
  const twilioFake = new TwilioFake();
  const vonageFake = new VonageFake();
  let server: TestServer;
  before(async () => {
    await Promise.all([twilioFake.start(), vonageFake.start()]);
    server = await startTestServer({ overrides: { env: courierEnv([twilioFake, vonageFake]) } });
  });
  after(async () => {
    await server.close();
    await Promise.all([twilioFake.stop(), vonageFake.stop()]);
  });

  it('Twilio failing retryably (5xx) → Vonage takes the OTP and the flow finishes', async () => {
    twilioFake.script('server-error');
    const correlationId = await mobileOtpFlow(server, vonageFake, '+12025550143');
    const [row] = (await messageRows(server.server.deps.db.kysely)).filter((r) => r.correlation_id === correlationId);
    assert.equal(row?.provider, 'vonage');
    assert.equal(row?.status, 'sent');
    assert.equal(twilioFake.requests.filter((r) => r.form.get('To') === '+12025550143').length, 1, 'Twilio was tried first');
  });

  it('a permanent refusal (opted out) is not retried nor failed over: undeliverable, reason on the message and the timeline', async () => {
    const phone = '+12025550145';
    twilioFake.always('opted-out');
    try {
      const backend = Backend.of(server);
      const started = await backend.unify({ possessionType: 'desktop', phoneNumber: phone, finalTargetUrl: TARGET });
      const client = new ProtocolClient(started.authToken!);
      await client.instantLinkStart();
      const db = server.server.deps.db.kysely;
      const row = await eventually('the message to be refused', async () =>
        (await messageRows(db)).find((r) => r.correlation_id === started.correlationId && r.status !== 'queued' && r.status !== 'sending'),
      );
      assert.equal(row.status, 'undeliverable');
      assert.equal(row.last_error, 'opted-out');
      assert.equal(row.provider, 'twilio');
      assert.equal(row.attempts, 1);
      const events = await db.selectFrom('session_events').selectAll().where('correlation_id', '=', started.correlationId).orderBy('seq').execute();
      const entry = events.find((e) => e.type === 'sms_undeliverable');
      assert.ok(entry, 'the timeline records the refusal');
      assert.equal(entry.reason, 'opted-out');
      assert.equal(entry.channel, 'sms');
      assert.ok(entry.destination && !entry.destination.includes('5550145'), 'the destination is masked');
      // Several poll rounds later: still one request to Twilio, none to Vonage.
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(twilioFake.requests.filter((r) => r.form.get('To') === phone).length, 1);
      assert.equal(vonageFake.requests.filter((r) => VonageFake.fields(r).get('to') === phone.slice(1)).length, 0);
    } finally {
      twilioFake.always('success');
    }
  });

  it('the admin views read the courier columns: provider and status per message, counts per provider, the timeline', async () => {
    const db = server.server.deps.db.kysely;
    const messages = await recentMessages(db, { limit: 50 });
    assert.ok(messages.some((m) => m.provider === 'vonage' && m.status === 'sent'));
    const refused = messages.find((m) => m.status === 'undeliverable');
    assert.equal(refused?.provider, 'twilio');
    assert.ok(!refused.to.includes('5550145'), 'masked');
    const stats = await deliveryStats(db, { from: Date.now() - 3_600_000, to: Date.now() + 60_000 });
    assert.deepEqual(
      stats.map((s) => [s.provider, s.failed]),
      [
        ['twilio', 1],
        ['vonage', 0],
      ],
    );
    assert.ok((stats.find((s) => s.provider === 'vonage')?.sent ?? 0) >= 1);
    const timeline = await sessionTimeline(db, refused.correlationId!);
    const entry = timeline?.events.find((e) => e.kind === 'message');
    assert.equal(entry?.status, 'undeliverable');
    assert.equal(entry?.provider, 'twilio');
    assert.ok(timeline?.events.some((e) => e.type === 'sms_undeliverable' && e.reason === 'opted-out'));
  });

  it('Twilio failing retryably (429 with Retry-After; it parks Twilio for this process, so it runs last) → Vonage takes the Instant Link', async () => {
    twilioFake.script('rate-limited');
    const correlationId = await desktopInstantLinkFlow(server, vonageFake, '+12025550144');
    const [row] = (await messageRows(server.server.deps.db.kysely)).filter((r) => r.correlation_id === correlationId);
    assert.equal(row?.provider, 'vonage');
  });
});
