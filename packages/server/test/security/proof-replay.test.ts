/**
 * Issue 8, "possession can never be transferred": a proof (OTP code, Instant Link, carrier vfp,
 * Prove Key) finishes exactly the session it was issued for, once. Replayed into another session
 * of the same number, into another client's session, or after its session ended, it finishes
 * nothing and changes no status. Concurrent finishes of one session have exactly one winner and
 * a consistent outcome, and the attempt and resend caps hold under concurrency.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OTP_MAX_RESENDS } from '@handset/protocol';
import { ManualClock } from '../../src/ports/clock.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import {
  assertCapped,
  assertKeyBoundTo,
  assertNoSuccessFor,
  assertRedirected,
  assertSent,
  assertStepNotAllowed,
  assertSuccessFor,
  clientFor,
  dataCode,
  desktopSession,
  errorCode,
  INVALID_OTP,
  Integrator,
  latestCode,
  latestLink,
  MAX_ATTEMPTS,
  messagesTo,
  mobileSessionAtOtp,
  openLink,
  SIX_DIGIT_OTP,
  STEP_NOT_ALLOWED,
  TOO_MANY_MESSAGES,
  wrongCode,
} from '../support/attack.js';
import { DeviceKey } from '../support/device-key.js';
import { numberSource } from '../support/numbers.js';
import type { ProtocolClient, Reply } from '../support/protocol-client.js';

/** Fresh numbers, each in a range of its own: this file sends more texts from one server than the default policy lets one range have in an hour (decision E3). */
const number = numberSource(500);
const MA_NUMBER = '+12025550499';

describe('proof replay (issue 8)', () => {
  let server: TestServer;
  let clock: ManualClock;
  let integrator: Integrator;
  let otherTenant: Integrator;
  before(async () => {
    clock = new ManualClock(Date.parse('2026-03-02T09:00:00Z'));
    server = await startTestServer({ overrides: { clock }, mobileAuthNumbers: [MA_NUMBER] });
    integrator = Integrator.of(server);
    otherTenant = new Integrator(server.url, await server.createClient('other tenant'));
  });
  after(() => server.close());

  const atOtp = (who: Integrator, phone: string, options: { allowOTPRetry?: boolean } = {}) =>
    mobileSessionAtOtp(who, phone, new DeviceKey(), { clock, ...options });

  /** Starts OTP and returns the code; sends again until it differs from every code in `avoid`. */
  async function sendCode(client: ProtocolClient, phone: string, avoid: string[] = []): Promise<string> {
    assertSent(await client.otpStart(), 'otp');
    let code = await latestCode(server, phone);
    while (avoid.includes(code)) {
      assertSent(await client.otpStart(), 'otp', 'a resend (6-digit codes coincided)');
      code = await latestCode(server, phone);
    }
    return code;
  }

  /** A Mobile Auth vfp the carrier issued for a session at the carrier step. */
  async function carrierVfp(client: ProtocolClient): Promise<string> {
    const start = await client.call<{ next: string; data?: { redirectUrl: string } }>('/v1/client/mobile/instant/start', {
      cellularIp: null,
      implementation: 'fetch',
    });
    const carrier = await fetch(`${start.body.data!.redirectUrl}?r=f&sdkVersion=3.2.5`);
    assert.equal(carrier.status, 200);
    return ((await carrier.json()) as { vfp: string }).vfp;
  }

  async function mobileAtCarrier(who: Integrator, phone: string): Promise<{ client: ProtocolClient; correlationId: string; key: DeviceKey }> {
    const key = new DeviceKey();
    const started = await who.unify({ possessionType: 'mobile', phoneNumber: phone, allowOTPRetry: true, smsMessage: SIX_DIGIT_OTP });
    const client = clientFor(started.authToken!, { clock });
    assert.equal((await client.deviceStep(key)).body.next, 'mobile/instant');
    return { client, correlationId: started.correlationId, key };
  }

  describe('into another session', () => {
    it('an OTP code does not finish another session of the same number (same client)', async () => {
      const a = number();
      const first = await atOtp(integrator, a, { allowOTPRetry: true });
      const second = await atOtp(integrator, a, { allowOTPRetry: true });
      const firstCode = await sendCode(first.client, a);
      await sendCode(second.client, a, [firstCode]);
      const replayed = await second.client.otpFinish(firstCode);
      assert.equal(dataCode(replayed), INVALID_OTP, `the other session’s code is a wrong code: ${JSON.stringify(replayed.body)}`);
      assert.equal((await integrator.status(second.correlationId)).success, 'pending');
      assert.equal((await integrator.status(first.correlationId)).success, 'pending', 'nor does it touch the session it came from');
      // The code still finishes its own session.
      assert.deepEqual((await first.client.otpFinish(firstCode)).body, { next: 'done' });
      await assertSuccessFor(integrator, first.correlationId, a, first.key.deviceId);
      assert.equal((await integrator.status(second.correlationId)).success, 'pending');
    });

    it('an OTP code does not finish another client’s session of the same number', async () => {
      const a = number();
      const mine = await atOtp(integrator, a, { allowOTPRetry: true });
      const theirs = await atOtp(otherTenant, a, { allowOTPRetry: true });
      const myCode = await sendCode(mine.client, a);
      await sendCode(theirs.client, a, [myCode]);
      assert.equal(dataCode(await theirs.client.otpFinish(myCode)), INVALID_OTP);
      assert.equal((await otherTenant.status(theirs.correlationId)).success, 'pending');
      assert.deepEqual((await mine.client.otpFinish(myCode)).body, { next: 'done' });
      assert.equal((await otherTenant.status(theirs.correlationId)).success, 'pending');
      // The other client cannot even read this client's session.
      const foreign = await otherTenant.post<{ code: number }>('/v3/unify-status', { correlationId: mine.correlationId });
      assert.equal(foreign.status, 400);
      assert.equal(foreign.body.code, 8008);
    });

    it('an Instant Link opens only its own session: a second session of the same number stays pending', async () => {
      const a = number();
      const first = await desktopSession(integrator, a, { clock });
      const second = await desktopSession(integrator, a, { clock });
      await first.client.instantLinkStart();
      const firstLink = await latestLink(server, a);
      await second.client.instantLinkStart();
      assertRedirected(await openLink(firstLink));
      await assertSuccessFor(integrator, first.correlationId, a);
      assert.equal((await integrator.status(second.correlationId)).success, 'pending');
      // An OTP session of the same number is not finished by it either.
      const mobile = await atOtp(integrator, a);
      await sendCode(mobile.client, a);
      assert.ok([302, 404, 410].includes((await openLink(firstLink)).status), 'the used link again');
      assert.equal((await integrator.status(mobile.correlationId)).success, 'pending');
      assert.equal((await integrator.status(second.correlationId)).success, 'pending');
    });

    it('a carrier vfp does not finish another session, of this client or of another', async () => {
      const first = await mobileAtCarrier(integrator, MA_NUMBER);
      const vfp = await carrierVfp(first.client);
      for (const [who, label] of [
        [integrator, 'same client'],
        [otherTenant, 'other client'],
      ] as const) {
        const other = await mobileAtCarrier(who, MA_NUMBER);
        await carrierVfp(other.client);
        const replayed = await other.client.call('/v1/client/mobile/instant/finish', { vfp });
        assert.equal(replayed.status, 200);
        assert.notDeepEqual(replayed.body, { next: 'done' }, `${label}: a vfp issued for another session`);
        assert.ok(replayed.body.error, `${label}: an error envelope`);
        assert.notEqual((await who.status(other.correlationId)).success, 'true', label);
      }
      assert.deepEqual((await first.client.call('/v1/client/mobile/instant/finish', { vfp })).body, { next: 'done' }, 'its own session');
      await assertSuccessFor(integrator, first.correlationId, MA_NUMBER, first.key.deviceId);
    });

    it('a Prove Key bound under one client proves nothing to another client', async () => {
      const a = number();
      const bound = await atOtp(integrator, a);
      const code = await sendCode(bound.client, a);
      assert.deepEqual((await bound.client.otpFinish(code)).body, { next: 'done' });
      await assertKeyBoundTo(integrator, bound.key, a);

      const started = await otherTenant.unify({ possessionType: 'mobile', phoneNumber: a });
      const client = clientFor(started.authToken!, { clock });
      const verified = await client.verify(bound.key);
      assert.notEqual(verified.body.next, 'done', 'another client’s key');
      assert.equal(errorCode(verified), 10006, `unknown to this client: ${JSON.stringify(verified.body)}`);
      assert.equal((await otherTenant.status(started.correlationId)).success, 'pending');

      const none = await otherTenant.unify({ possessionType: 'none', phoneNumber: a });
      const noneClient = clientFor(none.authToken!, { clock });
      assert.notDeepEqual((await noneClient.verify(bound.key)).body, { next: 'done' });
      assert.notEqual((await otherTenant.status(none.correlationId)).success, 'true');
    });
  });

  describe('after the session ended', () => {
    it('a used code entered again: 10003, the status stays true; in a later session of the number it is a wrong code', async () => {
      const a = number();
      const s = await atOtp(integrator, a, { allowOTPRetry: true });
      const code = await sendCode(s.client, a);
      assert.deepEqual((await s.client.otpFinish(code)).body, { next: 'done' });
      const before = await assertSuccessFor(integrator, s.correlationId, a, s.key.deviceId);
      assertStepNotAllowed(await s.client.otpFinish(code), 'the code again');
      assertStepNotAllowed(await s.client.otpFinish(wrongCode(code)), 'a wrong code after the end');
      assertStepNotAllowed(await s.client.otpStart(number()), 'a change of number after the end');
      assert.deepEqual(await integrator.status(s.correlationId), before, 'the status is unchanged');

      const later = await atOtp(integrator, a, { allowOTPRetry: true });
      await sendCode(later.client, a, [code]);
      assert.equal(dataCode(await later.client.otpFinish(code)), INVALID_OTP);
      assert.equal((await integrator.status(later.correlationId)).success, 'pending');
    });

    it('a failed session stays failed: the right code is refused (10003)', async () => {
      const a = number();
      const s = await atOtp(integrator, a, { allowOTPRetry: false });
      const code = await sendCode(s.client, a);
      const wrong = await s.client.otpFinish(wrongCode(code));
      assert.equal(errorCode(wrong), MAX_ATTEMPTS);
      assert.equal(wrong.body.next, 'done');
      assertStepNotAllowed(await s.client.otpFinish(code), 'the right code after the failure');
      assertStepNotAllowed(await s.client.otpStart(), 'a resend after the failure');
      const status = await integrator.status(s.correlationId);
      assert.equal(status.success, 'false');
      assert.equal(status.deviceId, undefined);
    });

    it('a used Instant Link re-opened never changes the outcome; a link of a failed session stays dead', async () => {
      const a = number();
      const s = await desktopSession(integrator, a, { clock });
      await s.client.instantLinkStart();
      const link = await latestLink(server, a);
      assertRedirected(await openLink(link));
      const before = await assertSuccessFor(integrator, s.correlationId, a);
      const again = await openLink(link);
      assert.ok([302, 404, 410].includes(again.status), `re-opened: ${again.status}`);
      assert.deepEqual(await integrator.status(s.correlationId), before);
      assertStepNotAllowed(await s.client.instantLinkStart(''), 'a resend after the end');
      assertStepNotAllowed(await s.client.instantLinkStart(number()), 'a change after the end');
      assert.deepEqual(await integrator.status(s.correlationId), before);

      const expired = await desktopSession(integrator, number(), { clock });
      await expired.client.instantLinkStart();
      const phone = (await integrator.status(expired.correlationId)).phoneNumber!;
      const expiredLink = await latestLink(server, phone);
      clock.advance((server.server.deps.config.instantLinkTtlSeconds + 1) * 1000);
      assert.equal((await openLink(expiredLink)).status, 410);
      assert.equal((await openLink(expiredLink)).status, 410);
      assert.equal((await integrator.status(expired.correlationId)).success, 'false');
    });

    it('a used vfp sent again: 10003, the status stays true', async () => {
      const s = await mobileAtCarrier(integrator, MA_NUMBER);
      const vfp = await carrierVfp(s.client);
      assert.deepEqual((await s.client.call('/v1/client/mobile/instant/finish', { vfp })).body, { next: 'done' });
      const before = await assertSuccessFor(integrator, s.correlationId, MA_NUMBER, s.key.deviceId);
      assertStepNotAllowed(await s.client.call('/v1/client/mobile/instant/finish', { vfp }), 'the vfp again');
      assertStepNotAllowed(await s.client.call('/v1/client/mobile/instant/start', { cellularIp: null, implementation: 'fetch' }));
      assert.deepEqual(await integrator.status(s.correlationId), before);
    });
  });

  describe('concurrent finishes', () => {
    const classify = (reply: Reply): 'done' | 'wrong' | 'exhausted' | 'refused' | 'other' => {
      assert.ok(reply.status < 500, `HTTP ${reply.status}`);
      if (reply.body.next === 'done' && !reply.body.error && !reply.body.data) return 'done';
      if (dataCode(reply) === INVALID_OTP && reply.body.next === 'mobile/otp') return 'wrong';
      if (errorCode(reply) === MAX_ATTEMPTS && reply.body.next === 'done') return 'exhausted';
      if (errorCode(reply) === STEP_NOT_ALLOWED && reply.body.next === '') return 'refused';
      return 'other';
    };
    const count = (kinds: string[], kind: string): number => kinds.filter((k) => k === kind).length;

    it('10 concurrent right codes: exactly one wins, nine are refused, the key is bound once', async () => {
      const a = number();
      const s = await atOtp(integrator, a);
      const code = await sendCode(s.client, a);
      const kinds = (await Promise.all(Array.from({ length: 10 }, () => s.client.otpFinish(code)))).map(classify);
      assert.equal(count(kinds, 'done'), 1, kinds.join(','));
      assert.equal(count(kinds, 'refused'), 9, kinds.join(','));
      await assertSuccessFor(integrator, s.correlationId, a, s.key.deviceId);
      await assertKeyBoundTo(integrator, s.key, a);
    });

    it('right and wrong codes at once (retry on, 5 rounds): one terminal outcome, at most 3 wrong-code replies, a consistent status', async () => {
      for (let round = 0; round < 5; round += 1) {
        const a = number();
        const s = await atOtp(integrator, a, { allowOTPRetry: true });
        const code = await sendCode(s.client, a);
        const guesses = Array.from({ length: 12 }, (_, i) => (i % 2 === round % 2 ? code : wrongCode(i % 3 ? code : wrongCode(code))));
        const kinds = (await Promise.all(guesses.map((g) => s.client.otpFinish(g)))).map(classify);
        const summary = kinds.join(',');
        assert.equal(count(kinds, 'other'), 0, summary);
        assert.equal(count(kinds, 'done') + count(kinds, 'exhausted'), 1, `exactly one terminal reply: ${summary}`);
        assert.ok(count(kinds, 'wrong') <= 3, `at most three re-entries: ${summary}`);
        const status = await integrator.status(s.correlationId);
        if (count(kinds, 'done') === 1) {
          assert.equal(status.success, 'true', summary);
          assert.equal(status.phoneNumber, a);
        } else {
          assert.equal(count(kinds, 'wrong'), 3, `exhausted after three re-entries: ${summary}`);
          assert.equal(status.success, 'false', summary);
        }
      }
    });

    it('right and wrong codes at once (retry off): the first one decides, everything else is refused', async () => {
      for (let round = 0; round < 3; round += 1) {
        const a = number();
        const s = await atOtp(integrator, a, { allowOTPRetry: false });
        const code = await sendCode(s.client, a);
        const guesses = Array.from({ length: 10 }, (_, i) => (i % 2 ? code : wrongCode(code)));
        const kinds = (await Promise.all(guesses.map((g) => s.client.otpFinish(g)))).map(classify);
        assert.equal(count(kinds, 'done') + count(kinds, 'exhausted'), 1, kinds.join(','));
        assert.equal(count(kinds, 'refused'), 9, kinds.join(','));
        assert.equal((await integrator.status(s.correlationId)).success, count(kinds, 'done') ? 'true' : 'false');
      }
    });

    it('10 concurrent opens of one Instant Link: one success, no 5xx, the status is true once and stays so', async () => {
      const a = number();
      const s = await desktopSession(integrator, a, { clock });
      const socket = await s.client.openStatusSocket();
      await s.client.instantLinkStart();
      const link = await latestLink(server, a);
      const opened = await Promise.all(Array.from({ length: 10 }, () => openLink(link)));
      for (const o of opened) assert.ok([302, 404, 410].includes(o.status), `opened: ${o.status}`);
      assert.ok(opened.some((o) => o.status === 302));
      assert.deepEqual(JSON.parse(await socket.next()), { next: 'done' });
      socket.close();
      await assertSuccessFor(integrator, s.correlationId, a);
    });

    it('a change of number racing the right code of A (10 rounds): the session succeeds for A, or moves to B; never succeeds for B with A’s code', async () => {
      for (let round = 0; round < 10; round += 1) {
        const [a, b] = [number(), number()];
        const s = await atOtp(integrator, a, { allowOTPRetry: true });
        const codeA = await sendCode(s.client, a);
        const [change, finish] = await Promise.all([s.client.otpStart(b), s.client.otpFinish(codeA)]);
        assert.ok(change.status < 500 && finish.status < 500);
        const status = await integrator.status(s.correlationId);
        if (classify(finish) === 'done') {
          assert.equal(status.success, 'true');
          assert.equal(status.phoneNumber, a, 'A’s code won: success for A');
          assertStepNotAllowed(change, 'the change after the success');
          assert.equal((await messagesTo(server, b)).length, 0, 'nothing to B');
        } else {
          assert.equal(classify(finish), 'wrong', `the change won: A’s code is a wrong code (${JSON.stringify(finish.body)})`);
          assertSent(change, 'otp', 'the change');
          assert.equal(status.success, 'pending');
          assert.equal(status.phoneNumber, b);
          assert.deepEqual((await s.client.otpFinish(await latestCode(server, b))).body, { next: 'done' });
          await assertSuccessFor(integrator, s.correlationId, b);
        }
      }
    });

    it('a change of number racing the opening of A’s link (10 rounds): success for A, or the link is dead and B got a new one', async () => {
      for (let round = 0; round < 10; round += 1) {
        const [a, b] = [number(), number()];
        const s = await desktopSession(integrator, a, { clock });
        await s.client.instantLinkStart();
        const linkA = await latestLink(server, a);
        const [change, opened] = await Promise.all([s.client.instantLinkStart(b), openLink(linkA)]);
        assert.ok(change.status < 500 && opened.status < 500);
        const status = await integrator.status(s.correlationId);
        if (opened.status === 302) {
          assert.equal(status.success, 'true');
          assert.equal(status.phoneNumber, a, 'A’s link won: success for A');
          assertStepNotAllowed(change, 'the change after the success');
          assert.equal((await messagesTo(server, b)).length, 0, 'nothing to B');
        } else {
          assert.ok([404, 410].includes(opened.status), `the change won: A’s link is dead (${opened.status})`);
          assertSent(change, 'link', 'the change');
          assert.equal(status.success, 'pending');
          assert.equal(status.phoneNumber, b);
          assertRedirected(await openLink(await latestLink(server, b)));
          await assertSuccessFor(integrator, s.correlationId, b);
        }
      }
    });

    it('a change of number racing the Mobile Auth finish of A (10 rounds): success for A, or the vfp is refused', async () => {
      for (let round = 0; round < 10; round += 1) {
        const b = number();
        const s = await mobileAtCarrier(integrator, MA_NUMBER);
        const vfp = await carrierVfp(s.client);
        const [change, finish] = await Promise.all([s.client.otpStart(b), s.client.call('/v1/client/mobile/instant/finish', { vfp })]);
        assert.ok(change.status < 500 && finish.status < 500);
        const status = await integrator.status(s.correlationId);
        if (finish.body.next === 'done' && !finish.body.error) {
          assert.equal(status.success, 'true');
          assert.equal(status.phoneNumber, MA_NUMBER, 'the vfp won: success for the number it was issued for');
          assertStepNotAllowed(change, 'the change after the success');
        } else {
          assert.ok(finish.body.error, `the change won: the vfp is refused (${JSON.stringify(finish.body)})`);
          assertSent(change, 'otp', 'the change (the first OTP send)');
          assert.equal(status.success, 'pending');
          assert.equal(status.phoneNumber, b);
        }
        await assertNoSuccessFor(integrator, s.correlationId, b);
      }
    });

    it('10 concurrent resends: at most 3 go out (4 messages in all), the rest answer code 4', async () => {
      const a = number();
      const s = await atOtp(integrator, a);
      await sendCode(s.client, a);
      const replies = await Promise.all(Array.from({ length: 10 }, () => s.client.otpStart()));
      const sent = replies.filter((r) => r.body.data === undefined && r.body.next === 'mobile/otp').length;
      const capped = replies.filter((r) => dataCode(r) === TOO_MANY_MESSAGES).length;
      assert.equal(sent, OTP_MAX_RESENDS, JSON.stringify(replies.map((r) => r.body)));
      assert.equal(capped, 10 - OTP_MAX_RESENDS);
      assert.equal((await messagesTo(server, a)).length, 1 + OTP_MAX_RESENDS);
      const status = await integrator.status(s.correlationId);
      assert.equal(status.success, 'pending');
      assert.equal(status.phoneNumber, a);
    });

    it('10 concurrent changes to 10 numbers: 3 go out, the session ends with the last of them and only its code works', async () => {
      const a = number();
      const s = await atOtp(integrator, a, { allowOTPRetry: true });
      await sendCode(s.client, a);
      const targets = Array.from({ length: 10 }, () => number());
      const replies = await Promise.all(targets.map((t) => s.client.otpStart(t)));
      for (const r of replies.filter((x) => x.body.data !== undefined)) assertCapped(r, 'otp', 'a change past the cap');
      const reached = [];
      for (const t of targets) if ((await messagesTo(server, t)).length > 0) reached.push(t);
      assert.equal(reached.length, OTP_MAX_RESENDS, `three changes went out: ${reached.join(',')}`);
      const status = await integrator.status(s.correlationId);
      assert.equal(status.success, 'pending');
      assert.ok(reached.includes(status.phoneNumber!), 'the session’s number is one that received a code');
      const current = status.phoneNumber!;
      const currentCode = await latestCode(server, current);
      for (const t of reached.filter((x) => x !== current)) {
        const stale = await latestCode(server, t);
        if (stale === currentCode) continue;
        assert.equal(dataCode(await s.client.otpFinish(stale)), INVALID_OTP, 'a code to a number the session moved away from');
      }
      for (const t of targets) if (t !== current) await assertNoSuccessFor(integrator, s.correlationId, t);
      assert.deepEqual((await s.client.otpFinish(currentCode)).body, { next: 'done' });
      await assertSuccessFor(integrator, s.correlationId, current, s.key.deviceId);
    });
  });
});
