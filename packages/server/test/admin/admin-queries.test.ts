/**
 * The admin queries over sessions made by real flows (HTTP, real P-256 keys) on the database of
 * the pass, and the session timeline written by the steps themselves: what it records, that a
 * rolled-back step leaves nothing, that numbers are masked and codes never appear, and that the
 * clean-up takes a session's timeline with it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AdminQueryError,
  createClient,
  dailyStats,
  deliveryStats,
  devicesByClient,
  devicesByNumber,
  disableClient,
  listClients,
  recentMessages,
  revokeDevice,
  revokeDevicesOfNumber,
  rotateClientSecret,
  searchSessions,
  sessionTimeline,
} from '../../src/admin/admin-queries.js';
import { bySessionToken, runSessionStep } from '../../src/flows/session-tx.js';
import { DEFAULT_POLICY } from '../../src/policy/default-policy.js';
import { ManualClock } from '../../src/ports/clock.js';
import { purgeExpired } from '../../src/store/maintenance.js';
import type { Executor } from '../../src/store/executor.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { DeviceKey } from '../support/device-key.js';
import { decodeAuthToken, ProtocolClient } from '../support/protocol-client.js';
import { Backend, latestMessage } from '../support/server-api.js';

/** The default policy's rules as timeline types: every one is evaluated before each text. */
const DEFAULT_RULES = DEFAULT_POLICY.rules.map((r) => `policy:${r.id}`);
const OTP_NUMBER = '+12025550141';
const LINK_NUMBER = '+12025550142';
const BIND_NUMBER = '+12025550143';
const T0 = Date.parse('2030-03-01T10:00:00Z');
const DAY = 86_400_000;

describe('admin queries and the session timeline', () => {
  const clock = new ManualClock(T0);
  let server: TestServer;
  let backend: Backend;
  let db: Executor;
  let otpSession: string;
  let otpCode: string;
  let linkSession: string;
  let bindSession: string;
  const key = new DeviceKey();

  before(async () => {
    server = await startTestServer({ overrides: { clock } });
    backend = Backend.of(server);
    db = server.server.deps.db.kysely;

    // Mobile: a new key, no Mobile Auth, then OTP with one wrong code and the right one.
    const otp = await backend.unify({ possessionType: 'mobile', phoneNumber: OTP_NUMBER, clientRequestId: 'req-otp', allowOTPRetry: true });
    otpSession = otp.correlationId;
    const phone = new ProtocolClient(otp.authToken!);
    await phone.deviceStep(key);
    await phone.reportError('mobile/instant', 'no carrier', 10002);
    clock.advance(1000);
    await phone.otpStart();
    otpCode = (await latestMessage(server, OTP_NUMBER)).code!;
    clock.advance(1000);
    await phone.otpFinish(otpCode === '0000' ? '1111' : '0000');
    await phone.otpFinish(otpCode);

    // Desktop: an Instant Link opened, a day later.
    clock.advance(DAY);
    await backend.token(true); // the access token of yesterday has expired
    const link = await backend.unify({ possessionType: 'desktop', phoneNumber: LINK_NUMBER, clientRequestId: 'req-link', finalTargetUrl: 'https://shop.example/done' });
    linkSession = link.correlationId;
    const desktop = new ProtocolClient(link.authToken!);
    await desktop.instantLinkStart();
    const opened = await fetch((await latestMessage(server, LINK_NUMBER)).link!, { redirect: 'manual' });
    await opened.body?.cancel();

    // Customer-supplied: a refused bind (another number) and a good one.
    const bind = await backend.unify({ possessionType: 'none', phoneNumber: BIND_NUMBER, clientRequestId: 'req-bind' });
    bindSession = bind.correlationId;
    await new ProtocolClient(bind.authToken!).deviceStep(new DeviceKey());
    assert.equal((await backend.bind(bindSession, '+12025550199')).status, 400);
    assert.equal((await backend.bind(bindSession, BIND_NUMBER)).status, 200);
  });
  after(() => server.close());

  it('the timeline of an OTP session: every step, its states and reasons, the message, in order', async () => {
    const timeline = await sessionTimeline(db, otpSession);
    assert.ok(timeline);
    assert.equal(timeline.session.correlationId, otpSession);
    assert.equal(timeline.session.number, '+1******0141');
    assert.equal(timeline.session.state, 'succeeded');
    assert.equal(timeline.session.otpAttempts, 1);
    const steps = timeline.events.map((e) => `${e.kind}:${e.type}:${e.fromState ?? '-'}>${e.toState ?? '-'}`);
    assert.deepEqual(steps, [
      'event:created:->created',
      'event:device_checked:new:created>awaiting_possession',
      // The browser's "no carrier" report: Mobile Auth had not started, so the machine refused it.
      'event:refused:mobile_auth_failed:awaiting_possession>awaiting_possession',
      // The fraud policy's rules, evaluated before the text is queued (docs/fraud-policy.md).
      ...DEFAULT_RULES.map((type) => `event:${type}:awaiting_possession>awaiting_possession`),
      'event:otp_sent:awaiting_possession>otp_sent',
      'message:sms:->-',
      'event:otp_checked:wrong:otp_sent>otp_sent',
      'event:otp_checked:correct:otp_sent>succeeded',
    ]);
    const at = (type: string): number => timeline.events.findIndex((e) => e.type === type);
    const sent = timeline.events[at('otp_sent')]!;
    assert.equal(sent.channel, 'sms');
    assert.equal(sent.destination, '+1******0141');
    const message = timeline.events[at('sms')]!;
    assert.equal(message.provider, 'outbox');
    assert.equal(message.status, 'delivered');
    assert.equal(message.destination, '+1******0141');
    assert.equal(timeline.events[2]!.reason, 'not_allowed');
    assert.ok(timeline.events[at('otp_checked:wrong')]!.at > timeline.events[0]!.at, 'entries carry their own times');
    const text = JSON.stringify(timeline);
    assert.ok(!text.includes(OTP_NUMBER) && !text.includes('2025550141'), 'no full number');
    assert.ok(!text.includes(otpCode), 'no code');
  });

  it('the timeline of an Instant Link and of a customer-supplied session; a refused, rolled-back bind left nothing', async () => {
    const link = await sessionTimeline(db, linkSession);
    assert.deepEqual(link?.events.map((e) => e.type), ['created', ...DEFAULT_RULES, 'link_sent', 'sms', 'link_opened']);
    assert.equal(link?.events.at(-1)?.toState, 'succeeded');
    const bind = await sessionTimeline(db, bindSession);
    assert.deepEqual(bind?.events.map((e) => e.type), ['created', 'device_checked:new', 'bound']);
    assert.equal(bind?.events[1]?.toState, 'possession_required');
    assert.equal(bind?.events[1]?.reason, '9100');
    assert.equal(bind?.events[1]?.reasonText, 'Phone possession incomplete.');
    assert.equal(bind?.events[2]?.destination, '+1******0143');
    assert.equal(await sessionTimeline(db, '00000000-0000-4000-8000-000000000000'), null);
  });

  it('a step that fails after the machine judged it leaves no timeline entry (nor any change)', async () => {
    const started = await backend.unify({ possessionType: 'mobile', phoneNumber: '+12025550144' });
    const claims = decodeAuthToken(started.authToken!);
    await assert.rejects(
      runSessionStep(
        server.server.deps,
        bySessionToken({ authId: claims.auth.id, tokenId: claims.jti }),
        async (ctx) => {
          assert.equal(ctx.apply({ type: 'device_checked', match: 'none' }).ok, true);
          throw new Error('the step failed after its decision');
        },
        () => undefined,
      ),
      /the step failed/,
    );
    const timeline = await sessionTimeline(db, started.correlationId);
    assert.deepEqual(timeline?.events.map((e) => e.type), ['created']);
    assert.equal(timeline?.session.state, 'created');
    // A refusal the step answers (and commits) is on the timeline, with its reason.
    await new ProtocolClient(started.authToken!).reportError('mobile/instant', 'no carrier', 10002);
    const refused = await sessionTimeline(db, started.correlationId);
    assert.deepEqual(refused?.events.map((e) => `${e.type}/${e.reason}`), ['created/null', 'refused:mobile_auth_failed/not_allowed']);
  });

  it('an expiry is on the timeline when it is written down', async () => {
    const started = await backend.unify({ possessionType: 'mobile', phoneNumber: '+12025550145' });
    clock.advance(16 * 60 * 1000);
    assert.equal((await backend.status(started.correlationId)).success, 'false');
    const timeline = await sessionTimeline(db, started.correlationId);
    assert.deepEqual(timeline?.events.map((e) => `${e.type}:${e.toState}:${e.reason}`), ['created:created:null', 'expired:failed:9100']);
  });

  it('searchSessions: each filter, masked numbers only, newest first, pages', async () => {
    const one = async (filter: Parameters<typeof searchSessions>[1]) => (await searchSessions(db, filter)).sessions.map((s) => s.correlationId);
    assert.deepEqual(await one({ correlationId: otpSession, limit: 10 }), [otpSession]);
    assert.deepEqual(await one({ clientRequestId: 'req-link', limit: 10 }), [linkSession]);
    assert.deepEqual(await one({ phoneNumber: '2025550143', limit: 10 }), [bindSession], 'a national number is normalised');
    assert.deepEqual(await one({ maskedNumber: '0141', limit: 10 }), [otpSession]);
    assert.deepEqual(await one({ maskedNumber: '+1******0142', limit: 10 }), [linkSession]);
    assert.deepEqual(await one({ maskedNumber: '+1*****0142', limit: 10 }), [], 'the length must match too');
    assert.deepEqual(await one({ maskedNumber: '+44******0142', limit: 10 }), [], 'the country prefix must match too');
    assert.deepEqual(await one({ possessionType: 'none', outcome: 'succeeded', limit: 10 }), [bindSession]);
    assert.deepEqual(await one({ clientId: 'hsc_nobody', limit: 10 }), []);
    assert.deepEqual(await one({ from: T0, to: T0 + DAY, limit: 10 }), [otpSession]);
    const all = await searchSessions(db, { clientId: server.clientId, limit: 100 });
    assert.equal(all.sessions.length, 5);
    assert.equal(all.nextCursor, null);
    for (let i = 1; i < all.sessions.length; i++) assert.ok(all.sessions[i - 1]!.createdAt >= all.sessions[i]!.createdAt, 'newest first');
    assert.ok(all.sessions.every((s) => s.number === null || /^\+1\*{6}\d{4}$/.test(s.number)));
    assert.ok(!JSON.stringify(all).includes('+1202555'), 'no full number');

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await searchSessions(db, { clientId: server.clientId, limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.sessions.map((s) => s.correlationId));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    assert.deepEqual(seen, all.sessions.map((s) => s.correlationId), 'pages cover the list once, in order');
  });

  it('searchSessions refuses wildcards, prefixes and forged cursors instead of enumerating numbers', async () => {
    for (const maskedNumber of ['%', '%0141', '____', '+1%', '+1202', '+1******%', "0141' or '1'='1", '141', '+1**********']) {
      await assert.rejects(searchSessions(db, { maskedNumber, limit: 10 }), AdminQueryError, maskedNumber);
    }
    for (const phoneNumber of ['+1202%', '%', '+1202555014_']) {
      await assert.rejects(searchSessions(db, { phoneNumber, limit: 10 }), AdminQueryError, phoneNumber);
    }
    for (const cursor of ['x', Buffer.from("1' or 1=1 --:x").toString('base64url'), '!!']) {
      await assert.rejects(searchSessions(db, { cursor, limit: 10 }), AdminQueryError, cursor);
    }
    await assert.rejects(searchSessions(db, { limit: 0 }), AdminQueryError);
    // SQL-ish values in exact filters are just values that match nothing.
    assert.deepEqual((await searchSessions(db, { clientRequestId: "x' or '1'='1", limit: 10 })).sessions, []);
  });

  it('devices by number (exact only) and by client; revoking a key makes the next flow ask for possession', async () => {
    const byNumber = await devicesByNumber(db, OTP_NUMBER);
    assert.deepEqual(byNumber.map((d) => d.deviceId), [key.deviceId]);
    assert.equal(byNumber[0]!.number, '+1******0141');
    assert.equal(byNumber[0]!.revokedAt, null);
    await assert.rejects(devicesByNumber(db, '+1202%'), AdminQueryError);
    await assert.rejects(devicesByNumber(db, '0141'), AdminQueryError);
    const byClient = await devicesByClient(db, server.clientId);
    assert.ok(byClient.some((d) => d.deviceId === key.deviceId));
    assert.ok(!JSON.stringify(byClient).includes(OTP_NUMBER));

    // Before: the same device and number finish by the key alone.
    const before = await backend.unify({ possessionType: 'mobile', phoneNumber: OTP_NUMBER });
    assert.deepEqual((await new ProtocolClient(before.authToken!).deviceStep(key)).body, { next: 'done' });

    const revoked = await revokeDevice(db, key.deviceId!, clock.now());
    assert.equal(revoked?.revokedAt, clock.now());
    assert.equal(await revokeDevice(db, 'no-such-device', clock.now()), null);
    const after = await backend.unify({ possessionType: 'mobile', phoneNumber: OTP_NUMBER });
    const reply = await new ProtocolClient(after.authToken!).deviceStep(key);
    assert.equal(reply.body.next, 'mobile/instant', 'possession is asked for again');
    assert.equal(reply.body.error?.code, 10006);
    const timeline = await sessionTimeline(db, otpSession);
    assert.equal(timeline?.events.at(-1)?.type, 'device_revoked', "the session's key revocation is on its timeline");
  });

  it('revokeDevicesOfNumber revokes every live key of the number, once', async () => {
    const other = new DeviceKey();
    const first = await backend.unify({ possessionType: 'none', phoneNumber: '+12025550146' });
    await new ProtocolClient(first.authToken!).deviceStep(other);
    await backend.bind(first.correlationId, '+12025550146');
    const ids = await db.transaction().execute((trx) => revokeDevicesOfNumber(trx, '+12025550146', clock.now()));
    assert.deepEqual(ids, [other.deviceId]);
    assert.deepEqual(await revokeDevicesOfNumber(db, '+12025550146', clock.now()), [], 'nothing left to revoke');
    assert.ok((await devicesByNumber(db, '+12025550146')).every((d) => d.revokedAt !== null));
  });

  it('clients: list with their limits, create, rotate, disable (a disabled client gets no token)', async () => {
    const limits = { rateLimitPerSecond: 25, tokenPerClientPerMinute: 60 };
    const created = await createClient(db, server.server.deps, 'shop');
    const listed = await listClients(db, limits);
    const shop = listed.find((c) => c.clientId === created.clientId);
    assert.deepEqual(shop?.rateLimits, limits);
    assert.equal(shop?.disabledAt, null);
    assert.ok(!JSON.stringify(listed).includes(created.clientSecret));

    const rotated = await rotateClientSecret(db, server.server.deps, created.clientId);
    assert.ok(rotated && rotated.clientSecret !== created.clientSecret);
    const shopBackend = new Backend(server.url, created.clientId, rotated.clientSecret);
    await shopBackend.unify({ possessionType: 'none', phoneNumber: '+12025550147' });
    assert.equal(await db.transaction().execute((trx) => disableClient(trx, created.clientId, clock.now())), true);
    assert.equal(await disableClient(db, 'hsc_nobody', clock.now()), false);
    await assert.rejects(shopBackend.token(true), /token request failed: 401/);
    assert.equal((await listClients(db, limits)).find((c) => c.clientId === created.clientId)?.disabledAt, clock.now());
  });

  it('recent messages: masked numbers, status, time; never a body or code', async () => {
    const messages = await recentMessages(db, { limit: 10 });
    assert.equal(messages.length, 2);
    assert.deepEqual(messages.map((m) => m.to), ['+1******0142', '+1******0141']);
    assert.equal(messages[1]!.correlationId, otpSession);
    assert.equal(messages[1]!.status, 'delivered');
    const text = JSON.stringify(messages);
    assert.ok(!text.includes(otpCode) && !text.includes('http') && !text.includes('temporary code'));
    assert.deepEqual(await recentMessages(db, { limit: 10, clientId: 'hsc_nobody' }), []);
  });

  it('daily funnel per channel and delivery counts per provider', async () => {
    const stats = await dailyStats(db, { from: T0, to: T0 + 2 * DAY, clientId: server.clientId });
    const day1 = stats.filter((s) => s.day === '2030-03-01');
    assert.deepEqual(day1, [{ day: '2030-03-01', channel: 'mobile', started: 1, possessionProven: 1, succeeded: 1 }]);
    const day2 = stats.filter((s) => s.day === '2030-03-02');
    const desktop = day2.find((s) => s.channel === 'desktop');
    assert.deepEqual(desktop, { day: '2030-03-02', channel: 'desktop', started: 1, possessionProven: 1, succeeded: 1 });
    const mobile = day2.find((s) => s.channel === 'mobile');
    assert.ok(mobile && mobile.started >= 3 && mobile.succeeded >= 1);
    const none = day2.find((s) => s.channel === 'none');
    assert.ok(none && none.started >= 2 && none.succeeded >= 2);
    assert.ok(stats.every((s) => s.started >= s.possessionProven && s.possessionProven >= s.succeeded));
    assert.deepEqual(await dailyStats(db, { from: T0 - DAY, to: T0 }), []);
    await assert.rejects(dailyStats(db, { from: T0, to: T0 }), AdminQueryError);
    await assert.rejects(dailyStats(db, { from: T0, to: T0 + 400 * DAY }), AdminQueryError);

    assert.deepEqual(await deliveryStats(db, { from: T0, to: T0 + 2 * DAY }), [{ provider: 'outbox', sent: 2, delivered: 2, failed: 0 }]);
    assert.deepEqual(await deliveryStats(db, { from: T0 + 3 * DAY, to: T0 + 4 * DAY }), [{ provider: 'outbox', sent: 0, delivered: 0, failed: 0 }]);
  });

  it('the clean-up takes a session timeline with the session, and leaves the others', async () => {
    const count = async (id: string) =>
      (await db.selectFrom('session_events').select('seq').where('correlation_id', '=', id).execute()).length;
    assert.ok((await count(otpSession)) > 0);
    const purgeAt = (await db.selectFrom('sessions').select('purge_at').where('correlation_id', '=', otpSession).executeTakeFirstOrThrow()).purge_at;
    const linkPurgeAt = (await db.selectFrom('sessions').select('purge_at').where('correlation_id', '=', linkSession).executeTakeFirstOrThrow()).purge_at;
    assert.ok(linkPurgeAt > purgeAt);
    await purgeExpired(db, purgeAt);
    assert.equal(await count(otpSession), 0);
    assert.equal(await sessionTimeline(db, otpSession), null);
    assert.ok((await count(linkSession)) > 0);
  });
});
