/**
 * Issue 8, "possession can never be transferred": a change of number at every point of an OTP,
 * Instant Link or Mobile Auth flow. The attacker holds only number A and tries to finish a
 * session for B with a proof A received (A's code, A's link, a carrier vfp issued for A), most
 * directly by changing to B once the resend cap is reached. The status must never say success
 * for B, no Prove Key may end up bound to B, and the honest paths (change to B, use B's proof)
 * still succeed.
 *
 * The rules (docs/session-state-machine.md, decision C4): the first start sends; every later
 * start (a resend, or any change of number) is one resend; 3 resends are allowed; past the cap
 * the reply carries data.code 4, nothing is sent and the session keeps its number. A change of
 * number below the cap sends to the new number and kills every earlier code or link.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { INSTANT_LINK_MAX_RESENDS, OTP_MAX_RESENDS, OTP_TTL_SECONDS, SESSION_TTL_SECONDS } from '@handset/protocol';
import { ManualClock } from '../../src/ports/clock.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import {
  assertCapped,
  assertDeadLink,
  assertKeyBoundTo,
  assertKeyNotBoundTo,
  assertNoSuccessFor,
  assertRedirected,
  assertSent,
  assertSessionOver,
  assertStepNotAllowed,
  assertSuccessFor,
  clientFor,
  dataCode,
  desktopSession,
  errorCode,
  INVALID_OTP,
  INVALID_PHONE_NUMBER,
  Integrator,
  latestCode,
  latestLink,
  MAX_ATTEMPTS,
  messagesTo,
  mobileSessionAtOtp,
  OTP_EXPIRED,
  openLink,
  wrongCode,
} from '../support/attack.js';
import { DeviceKey } from '../support/device-key.js';
import { numberSource } from '../support/numbers.js';
import type { ProtocolClient } from '../support/protocol-client.js';

/**
 * Every test takes fresh numbers, so the outbox of one never shows another's messages; each in a
 * range of its own, since this file sends more texts from one server than the default policy lets
 * one range have in an hour (decision E3).
 */
const number = numberSource(300);

/** Recognised by the sandbox carrier (Mobile Auth passes for them). */
const MA_A = '+12025550201';
const MA_B = '+12025550202';

describe('number change (issue 8)', () => {
  let server: TestServer;
  let clock: ManualClock;
  let integrator: Integrator;
  before(async () => {
    clock = new ManualClock(Date.parse('2026-03-01T09:00:00Z'));
    server = await startTestServer({ overrides: { clock }, mobileAuthNumbers: [MA_A, MA_B] });
    integrator = Integrator.of(server);
  });
  after(() => server.close());

  const atOtp = (phone: string, key: DeviceKey, options: { allowOTPRetry?: boolean } = {}) =>
    mobileSessionAtOtp(integrator, phone, key, { clock, ...options });
  const desktop = (phone: string) => desktopSession(integrator, phone, { clock });

  /** The attack's last checks: no success for B, no key bound to B, nothing sent to B. */
  async function assertNotTransferred(correlationId: string, key: DeviceKey | null, b: string): Promise<void> {
    await assertNoSuccessFor(integrator, correlationId, b);
    if (key) await assertKeyNotBoundTo(integrator, key, b);
  }

  describe('OTP', () => {
    it('the attack as issue 8 describes it, whatever the replies say: A’s latest code never finishes the session for B', async () => {
      const [a, b] = [number(), number()];
      const { client, correlationId, key } = await atOtp(a, new DeviceKey());
      await client.otpStart();
      for (let i = 0; i < OTP_MAX_RESENDS; i += 1) await client.otpStart();
      await client.otpStart(b);
      const finish = await client.otpFinish(await latestCode(server, a));
      assert.ok(finish.status < 500);
      await assertNotTransferred(correlationId, key, b);
    });

    it('the attack: resends up to the cap, then a change to B is refused (code 4), nothing goes to B, and A’s code finishes for A only', async () => {
      const [a, b] = [number(), number()];
      const { client, correlationId, key } = await atOtp(a, new DeviceKey());
      assertSent(await client.otpStart(), 'otp', 'the first send');
      for (let i = 1; i <= OTP_MAX_RESENDS; i += 1) assertSent(await client.otpStart(), 'otp', `resend ${i}`);
      assert.equal((await messagesTo(server, a)).length, 1 + OTP_MAX_RESENDS, 'four messages to A');

      assertCapped(await client.otpStart(b), 'otp', 'the change of number at the cap');
      assert.equal((await messagesTo(server, b)).length, 0, 'no SMS to B');
      const pending = await integrator.status(correlationId);
      assert.equal(pending.success, 'pending');
      assert.equal(pending.phoneNumber, a, 'the session keeps its number');

      // A's latest code still works, for A.
      assert.deepEqual((await client.otpFinish(await latestCode(server, a))).body, { next: 'done' });
      await assertSuccessFor(integrator, correlationId, a, key.deviceId);
      await assertNotTransferred(correlationId, key, b);
      await assertKeyBoundTo(integrator, key, a);
    });

    it('past the cap: more changes and resends all answer code 4 and send nothing; the session keeps A', async () => {
      const [a, b, c] = [number(), number(), number()];
      const { client, correlationId, key } = await atOtp(a, new DeviceKey(), { allowOTPRetry: true });
      await client.otpStart();
      for (let i = 0; i < OTP_MAX_RESENDS; i += 1) await client.otpStart();
      const codeA = await latestCode(server, a);
      assertCapped(await client.otpStart(b), 'otp', 'change to B');
      assertCapped(await client.otpStart(), 'otp', 'a resend past the cap');
      assertCapped(await client.otpStart(c), 'otp', 'change to C');
      assertCapped(await client.otpStart(b), 'otp', 'change to B again');
      assertCapped(await client.otpStart(a), 'otp', 'A itself');
      assert.equal((await messagesTo(server, a)).length, 4, 'nothing more to A');
      assert.equal((await messagesTo(server, b)).length + (await messagesTo(server, c)).length, 0, 'nothing to B or C');

      const wrong = await client.otpFinish(wrongCode(codeA));
      assert.equal(dataCode(wrong), INVALID_OTP);
      assert.equal((await integrator.status(correlationId)).phoneNumber, a);
      assert.deepEqual((await client.otpFinish(codeA)).body, { next: 'done' });
      await assertSuccessFor(integrator, correlationId, a, key.deviceId);
      await assertNotTransferred(correlationId, key, b);
      await assertNotTransferred(correlationId, null, c);
    });

    it('before the first send: a number typed in the first start gets the first code; A gets nothing; B’s code binds the key to B', async () => {
      const [a, b] = [number(), number()];
      const { client, correlationId, key } = await atOtp(a, new DeviceKey());
      assertSent(await client.otpStart(b), 'otp', 'the first send, to B');
      assert.equal((await messagesTo(server, a)).length, 0, 'nothing to A');
      assert.equal((await integrator.status(correlationId)).phoneNumber, b);
      assert.deepEqual((await client.otpFinish(await latestCode(server, b))).body, { next: 'done' });
      await assertSuccessFor(integrator, correlationId, b, key.deviceId);
      await assertKeyBoundTo(integrator, key, b);
      await assertKeyNotBoundTo(integrator, key, a);
    });

    it('an invalid number answers code 2, changes nothing and does not count as a resend', async () => {
      const [a, b] = [number(), number()];
      const { client, correlationId } = await atOtp(a, new DeviceKey());
      const before = await client.otpStart('abc');
      assert.equal(before.body.next, 'mobile/otp');
      assert.equal(dataCode(before), INVALID_PHONE_NUMBER, 'an invalid number before the first send');
      assert.equal((await messagesTo(server, a)).length, 0);
      assertSent(await client.otpStart(), 'otp', 'the first send, still to A');
      for (let i = 0; i < 3; i += 1) assert.equal(dataCode(await client.otpStart('abc')), INVALID_PHONE_NUMBER);
      assert.equal((await integrator.status(correlationId)).phoneNumber, a);
      // Three invalid numbers counted nothing: three resends are still allowed, the last a change to B.
      assertSent(await client.otpStart(), 'otp', 'resend 1');
      assertSent(await client.otpStart(), 'otp', 'resend 2');
      assertSent(await client.otpStart(b), 'otp', 'resend 3: the change to B');
      assertCapped(await client.otpStart(), 'otp', 'resend 4');
      assert.deepEqual((await client.otpFinish(await latestCode(server, b))).body, { next: 'done' });
      await assertSuccessFor(integrator, correlationId, b);
    });

    it('after a send (retry on): the change sends a code to B; A’s code is then a wrong code; B’s code finishes for B', async () => {
      const [a, b] = [number(), number()];
      const { client, correlationId, key } = await atOtp(a, new DeviceKey(), { allowOTPRetry: true });
      await client.otpStart();
      const codeA = await latestCode(server, a);
      assertSent(await client.otpStart(b), 'otp', 'the change to B');
      const codeB = await latestCode(server, b);
      assert.notEqual(codeA, codeB, 'two 6-digit codes (a coincidence would make this test meaningless)');

      const stale = await client.otpFinish(codeA);
      assert.equal(stale.body.next, 'mobile/otp', `A’s code after the change: ${JSON.stringify(stale.body)}`);
      assert.equal(dataCode(stale), INVALID_OTP, 'A’s code is a wrong code now');
      await assertNotTransferred(correlationId, null, b);
      assert.equal((await integrator.status(correlationId)).phoneNumber, b);

      assert.deepEqual((await client.otpFinish(codeB)).body, { next: 'done' });
      await assertSuccessFor(integrator, correlationId, b, key.deviceId);
      await assertKeyBoundTo(integrator, key, b);
      await assertKeyNotBoundTo(integrator, key, a);
    });

    it('after a send (retry off): A’s code after the change fails the session at once (10005), and B’s code is too late', async () => {
      const [a, b] = [number(), number()];
      const { client, correlationId, key } = await atOtp(a, new DeviceKey(), { allowOTPRetry: false });
      await client.otpStart();
      const codeA = await latestCode(server, a);
      assertSent(await client.otpStart(b), 'otp', 'the change to B');
      const codeB = await latestCode(server, b);
      assert.notEqual(codeA, codeB);
      const stale = await client.otpFinish(codeA);
      assert.equal(stale.body.next, 'done');
      assert.equal(errorCode(stale), MAX_ATTEMPTS, `the one try is used: ${JSON.stringify(stale.body)}`);
      assert.equal((await integrator.status(correlationId)).success, 'false');
      assertStepNotAllowed(await client.otpFinish(codeB), 'B’s code after the failure');
      assert.equal((await integrator.status(correlationId)).success, 'false');
      await assertNotTransferred(correlationId, key, b);
    });

    it('every change counts as a resend: A→B→C→D, then E is refused; only D’s code works', async () => {
      const [a, b, c, d, e] = [number(), number(), number(), number(), number()];
      const { client, correlationId, key } = await atOtp(a, new DeviceKey(), { allowOTPRetry: true });
      await client.otpStart();
      const codes = [await latestCode(server, a)];
      for (const n of [b, c, d]) {
        assertSent(await client.otpStart(n), 'otp', `change to ${n}`);
        codes.push(await latestCode(server, n));
      }
      assertCapped(await client.otpStart(e), 'otp', 'the fourth change');
      assert.equal((await messagesTo(server, e)).length, 0);
      assert.equal((await integrator.status(correlationId)).phoneNumber, d);
      const codeD = codes.pop()!;
      for (const stale of codes.filter((x) => x !== codeD)) {
        const reply = await client.otpFinish(stale);
        assert.equal(dataCode(reply), INVALID_OTP, `a code sent before the last change: ${JSON.stringify(reply.body)}`);
      }
      for (const n of [a, b, c, e]) await assertNoSuccessFor(integrator, correlationId, n);
      assert.deepEqual((await client.otpFinish(codeD)).body, { next: 'done' });
      await assertSuccessFor(integrator, correlationId, d, key.deviceId);
      for (const n of [a, b, c, e]) await assertKeyNotBoundTo(integrator, key, n);
    });

    it('a change back to A (below the cap) sends A a new code; A’s first code stays dead', async () => {
      const [a, b] = [number(), number()];
      const { client, correlationId } = await atOtp(a, new DeviceKey(), { allowOTPRetry: true });
      await client.otpStart();
      const first = await latestCode(server, a);
      await client.otpStart(b);
      assertSent(await client.otpStart(a), 'otp', 'back to A');
      const latest = await latestCode(server, a);
      assert.notEqual(first, latest);
      assert.equal(dataCode(await client.otpFinish(first)), INVALID_OTP, 'A’s first code was sent before the last change');
      assert.deepEqual((await client.otpFinish(latest)).body, { next: 'done' });
      await assertSuccessFor(integrator, correlationId, a);
    });

    it('after wrong codes: the attack at the cap still fails, and A’s code still finishes for A', async () => {
      const [a, b] = [number(), number()];
      const { client, correlationId, key } = await atOtp(a, new DeviceKey(), { allowOTPRetry: true });
      await client.otpStart();
      for (let i = 0; i < OTP_MAX_RESENDS; i += 1) await client.otpStart();
      const codeA = await latestCode(server, a);
      assert.equal(dataCode(await client.otpFinish(wrongCode(codeA))), INVALID_OTP);
      assert.equal(dataCode(await client.otpFinish(wrongCode(wrongCode(codeA)))), INVALID_OTP);
      assertCapped(await client.otpStart(b), 'otp', 'change to B after two wrong codes');
      assert.equal((await messagesTo(server, b)).length, 0);
      assert.deepEqual((await client.otpFinish(codeA)).body, { next: 'done' }, 'the third try, with A’s code');
      await assertSuccessFor(integrator, correlationId, a);
      await assertNotTransferred(correlationId, key, b);
    });

    it('after wrong codes, below the cap: B’s code finishes for B; A’s code never does', async () => {
      const [a, b] = [number(), number()];
      const { client, correlationId, key } = await atOtp(a, new DeviceKey(), { allowOTPRetry: true });
      await client.otpStart();
      const codeA = await latestCode(server, a);
      assert.equal(dataCode(await client.otpFinish(wrongCode(codeA))), INVALID_OTP);
      assert.equal(dataCode(await client.otpFinish(wrongCode(wrongCode(codeA)))), INVALID_OTP);
      assertSent(await client.otpStart(b), 'otp', 'the change to B');
      const codeB = await latestCode(server, b);
      assert.notEqual(codeA, codeB);
      const stale = await client.otpFinish(codeA);
      assert.notDeepEqual(stale.body, { next: 'done' });
      assert.equal(dataCode(stale), INVALID_OTP, 'the third try: A’s code is wrong');
      await assertNotTransferred(correlationId, null, b);
      assert.deepEqual((await client.otpFinish(codeB)).body, { next: 'done' }, 'the fourth try: B’s code');
      await assertSuccessFor(integrator, correlationId, b, key.deviceId);
    });

    it('three wrong codes, then A’s code after a change to B: never a success (the attempt cap holds)', async () => {
      const [a, b] = [number(), number()];
      const { client, correlationId, key } = await atOtp(a, new DeviceKey(), { allowOTPRetry: true });
      await client.otpStart();
      const codeA = await latestCode(server, a);
      let wrong = codeA;
      for (let i = 0; i < 3; i += 1) {
        wrong = wrongCode(wrong);
        assert.equal(dataCode(await client.otpFinish(wrong)), INVALID_OTP);
      }
      assertSent(await client.otpStart(b), 'otp', 'the change to B');
      const stale = await client.otpFinish(codeA);
      assert.notDeepEqual(stale.body, { next: 'done' }, 'A’s code never finishes after the change');
      assert.ok(dataCode(stale) === INVALID_OTP || errorCode(stale) === MAX_ATTEMPTS, `wrong or exhausted: ${JSON.stringify(stale.body)}`);
      await assertNotTransferred(correlationId, key, b);
    });

    it('after the code expired: A’s code answers code 3; a change to B sends B a fresh code; A’s code never finishes', async () => {
      const [a, b] = [number(), number()];
      const { client, correlationId, key } = await atOtp(a, new DeviceKey(), { allowOTPRetry: true });
      await client.otpStart();
      const codeA = await latestCode(server, a);
      clock.advance((OTP_TTL_SECONDS + 1) * 1000);
      const expired = await client.otpFinish(codeA);
      assert.equal(expired.body.next, 'mobile/otp');
      assert.equal(dataCode(expired), OTP_EXPIRED, `an expired code: ${JSON.stringify(expired.body)}`);
      assertSent(await client.otpStart(b), 'otp', 'the change to B');
      const codeB = await latestCode(server, b);
      const stale = await client.otpFinish(codeA);
      assert.notDeepEqual(stale.body, { next: 'done' });
      assert.ok([INVALID_OTP, OTP_EXPIRED].includes(dataCode(stale) ?? -1), `A’s old code: ${JSON.stringify(stale.body)}`);
      await assertNotTransferred(correlationId, null, b);
      assert.deepEqual((await client.otpFinish(codeB)).body, { next: 'done' });
      await assertSuccessFor(integrator, correlationId, b, key.deviceId);
    });

    it('after the code expired, at the cap: the change is refused and the expired code of A does not finish anything', async () => {
      const [a, b] = [number(), number()];
      const { client, correlationId, key } = await atOtp(a, new DeviceKey(), { allowOTPRetry: true });
      await client.otpStart();
      for (let i = 0; i < OTP_MAX_RESENDS; i += 1) await client.otpStart();
      const codeA = await latestCode(server, a);
      clock.advance((OTP_TTL_SECONDS + 1) * 1000);
      assertCapped(await client.otpStart(b), 'otp', 'the change at the cap');
      assert.equal((await messagesTo(server, b)).length, 0);
      assert.equal(dataCode(await client.otpFinish(codeA)), OTP_EXPIRED);
      const status = await assertNoSuccessFor(integrator, correlationId, b);
      assert.equal(status.success, 'pending');
      assert.equal(status.phoneNumber, a);
      await assertKeyNotBoundTo(integrator, key, b);
    });

    it('after the session expired: the change is refused, nothing goes to B, the status is false, A’s code is dead', async () => {
      const [a, b] = [number(), number()];
      const { client, correlationId, key } = await atOtp(a, new DeviceKey(), { allowOTPRetry: true });
      await client.otpStart();
      const codeA = await latestCode(server, a);
      clock.advance((SESSION_TTL_SECONDS + 5) * 1000);
      assertSessionOver(await client.otpStart(b), 'the change after the session ended');
      assert.equal((await messagesTo(server, b)).length, 0);
      assertSessionOver(await client.otpFinish(codeA), 'A’s code after the session ended');
      const status = await integrator.status(correlationId);
      assert.equal(status.success, 'false');
      assert.equal(status.phoneNumber, a);
      await assertNotTransferred(correlationId, key, b);
    });

    it('the session expired at the cap after the change was refused: still false, for A', async () => {
      const [a, b] = [number(), number()];
      const { client, correlationId, key } = await atOtp(a, new DeviceKey());
      await client.otpStart();
      for (let i = 0; i < OTP_MAX_RESENDS; i += 1) await client.otpStart();
      assertCapped(await client.otpStart(b), 'otp');
      const codeA = await latestCode(server, a);
      clock.advance((SESSION_TTL_SECONDS + 5) * 1000);
      assertSessionOver(await client.otpFinish(codeA));
      const status = await integrator.status(correlationId);
      assert.equal(status.success, 'false');
      await assertNotTransferred(correlationId, key, b);
    });

    it('a Prove Key already bound to A: a session for B verifying it still needs B’s possession, even through a change to A and back', async () => {
      const [a, b] = [number(), number()];
      const key = new DeviceKey();
      // Bind the key to A honestly.
      const first = await atOtp(a, key);
      await first.client.otpStart();
      assert.deepEqual((await first.client.otpFinish(await latestCode(server, a))).body, { next: 'done' });
      await assertSuccessFor(integrator, first.correlationId, a, key.deviceId);

      // A session for B with that key: the key does not prove B.
      const started = await integrator.unify({ possessionType: 'mobile', phoneNumber: b, smsMessage: 'Code ######' });
      const client = clientFor(started.authToken!, { clock });
      assert.equal((await client.verify(key)).body.next, 'mobile/instant', 'key bound to another number: possession needed');
      await client.reportError('mobile/instant', 'carrier refused', 10001);
      await client.otpStart();
      for (let i = 0; i < OTP_MAX_RESENDS; i += 1) await client.otpStart();
      assertCapped(await client.otpStart(a), 'otp', 'a change to A (the key’s number) at the cap');
      assert.equal((await messagesTo(server, a)).length, 1, 'A got nothing more');
      await assertNoSuccessFor(integrator, started.correlationId, b);
      await assertNoSuccessFor(integrator, started.correlationId, a);
      await assertKeyNotBoundTo(integrator, key, b);
    });

    it('a key bound to another number (no rebind): after the refused change, possession_required is for A, and unify-bind for B is refused', async () => {
      const [a, b, c] = [number(), number(), number()];
      const key = new DeviceKey();
      // The key is bound to C.
      const first = await atOtp(c, key);
      await first.client.otpStart();
      assert.deepEqual((await first.client.otpFinish(await latestCode(server, c))).body, { next: 'done' });

      const started = await integrator.unify({ possessionType: 'mobile', phoneNumber: a, smsMessage: 'Code ######' });
      const client = clientFor(started.authToken!, { clock });
      assert.equal((await client.verify(key)).body.next, 'mobile/instant');
      await client.reportError('mobile/instant', 'carrier refused', 10001);
      await client.otpStart();
      for (let i = 0; i < OTP_MAX_RESENDS; i += 1) await client.otpStart();
      assertCapped(await client.otpStart(b), 'otp', 'the change to B at the cap');
      assert.deepEqual((await client.otpFinish(await latestCode(server, a))).body, { next: 'done' });
      const status = await integrator.status(started.correlationId);
      assert.equal(status.success, 'possession_required', 'the key is bound to C: the integrator decides (9101)');
      assert.equal(status.phoneNumber, a);

      const wrongBind = await integrator.bind(started.correlationId, b);
      assert.equal(wrongBind.status, 400, `bind with B: ${JSON.stringify(wrongBind.body)}`);
      assert.equal((wrongBind.body as unknown as { code: number }).code, 8001);
      await assertNoSuccessFor(integrator, started.correlationId, b);
      await assertKeyNotBoundTo(integrator, key, b);

      const bound = await integrator.bind(started.correlationId, a);
      assert.equal(bound.status, 200);
      assert.equal(bound.body.success, 'true');
      assert.equal(bound.body.phoneNumber, a);
      await assertKeyBoundTo(integrator, key, a);
    });
  });

  describe('Instant Link', () => {
    it('the attack as issue 8 describes it, whatever the replies say: A’s latest link never finishes the session for B', async () => {
      const [a, b] = [number(), number()];
      const { client, correlationId } = await desktop(a);
      await client.instantLinkStart();
      for (let i = 0; i < INSTANT_LINK_MAX_RESENDS; i += 1) await client.instantLinkStart('');
      await client.instantLinkStart(b);
      const opened = await openLink(await latestLink(server, a));
      assert.ok(opened.status < 500);
      await assertNoSuccessFor(integrator, correlationId, b);
    });

    it('the attack: resends up to the cap, then a change to B is refused (code 4); A’s latest link succeeds for A only', async () => {
      const [a, b] = [number(), number()];
      const { client, correlationId } = await desktop(a);
      assertSent(await client.instantLinkStart(), 'link', 'the first send');
      for (let i = 1; i <= INSTANT_LINK_MAX_RESENDS; i += 1) assertSent(await client.instantLinkStart(''), 'link', `resend ${i}`);
      assert.equal((await messagesTo(server, a)).length, 1 + INSTANT_LINK_MAX_RESENDS);
      assertCapped(await client.instantLinkStart(b), 'link', 'the change at the cap');
      assert.equal((await messagesTo(server, b)).length, 0, 'no link to B');
      const pending = await integrator.status(correlationId);
      assert.equal(pending.success, 'pending');
      assert.equal(pending.phoneNumber, a);

      assertRedirected(await openLink(await latestLink(server, a)), 'A’s latest link');
      const status = await assertSuccessFor(integrator, correlationId, a);
      assert.equal(status.deviceId, undefined, 'desktop sessions never touch keys');
      await assertNoSuccessFor(integrator, correlationId, b);
    });

    it('past the cap: resends and changes answer code 4 and send nothing', async () => {
      const [a, b, c] = [number(), number(), number()];
      const { client, correlationId } = await desktop(a);
      await client.instantLinkStart();
      for (let i = 0; i < INSTANT_LINK_MAX_RESENDS; i += 1) await client.instantLinkStart('');
      assertCapped(await client.instantLinkStart(b), 'link', 'change to B');
      assertCapped(await client.instantLinkStart(''), 'link', 'a resend past the cap');
      assertCapped(await client.instantLinkStart(c), 'link', 'change to C');
      assertCapped(await client.instantLinkStart(a), 'link', 'A itself');
      assert.equal((await messagesTo(server, a)).length, 4);
      assert.equal((await messagesTo(server, b)).length + (await messagesTo(server, c)).length, 0);
      assert.equal((await integrator.status(correlationId)).phoneNumber, a);
      assertRedirected(await openLink(await latestLink(server, a)));
      await assertSuccessFor(integrator, correlationId, a);
    });

    it('before the first send: a number in the first start gets the link; B’s link succeeds for B; A gets nothing', async () => {
      const [a, b] = [number(), number()];
      const { client, correlationId } = await desktop(a);
      assertSent(await client.instantLinkStart(b), 'link', 'the first send, to B');
      assert.equal((await messagesTo(server, a)).length, 0);
      assertRedirected(await openLink(await latestLink(server, b)));
      await assertSuccessFor(integrator, correlationId, b);
    });

    it('an invalid number answers code 2, changes nothing and does not count', async () => {
      const [a, b] = [number(), number()];
      const { client, correlationId } = await desktop(a);
      const invalid = await client.instantLinkStart('abc');
      assert.equal(invalid.body.next, '');
      assert.equal(dataCode(invalid), INVALID_PHONE_NUMBER);
      assert.equal((await messagesTo(server, a)).length, 0);
      assertSent(await client.instantLinkStart(), 'link', 'the first send');
      for (let i = 0; i < 3; i += 1) assert.equal(dataCode(await client.instantLinkStart('abc')), INVALID_PHONE_NUMBER);
      assertSent(await client.instantLinkStart(''), 'link', 'resend 1');
      assertSent(await client.instantLinkStart(''), 'link', 'resend 2');
      assertSent(await client.instantLinkStart(b), 'link', 'resend 3: change to B');
      assertCapped(await client.instantLinkStart(''), 'link', 'resend 4');
      assertRedirected(await openLink(await latestLink(server, b)));
      await assertSuccessFor(integrator, correlationId, b);
    });

    it('after a send: the change sends B a link; A’s link is dead (404/410) and finishes nothing; B’s link succeeds for B', async () => {
      const [a, b] = [number(), number()];
      const { client, correlationId } = await desktop(a);
      const socket = await client.openStatusSocket();
      await client.instantLinkStart();
      const linkA = await latestLink(server, a);
      assertSent(await client.instantLinkStart(b), 'link', 'the change to B');
      assertDeadLink(await openLink(linkA), 'A’s link after the change');
      const status = await assertNoSuccessFor(integrator, correlationId, b);
      assert.equal(status.success, 'pending', 'a stale link does not end the session');
      assert.equal(status.phoneNumber, b);
      assertRedirected(await openLink(await latestLink(server, b)), 'B’s link');
      assert.deepEqual(JSON.parse(await socket.next()), { next: 'done' });
      socket.close();
      await assertSuccessFor(integrator, correlationId, b);
    });

    it('A→B→C→D, then E is refused; only D’s link works, every earlier link is dead', async () => {
      const [a, b, c, d, e] = [number(), number(), number(), number(), number()];
      const { client, correlationId } = await desktop(a);
      await client.instantLinkStart();
      const links = [await latestLink(server, a)];
      for (const n of [b, c, d]) {
        assertSent(await client.instantLinkStart(n), 'link', `change to ${n}`);
        links.push(await latestLink(server, n));
      }
      assertCapped(await client.instantLinkStart(e), 'link', 'the fourth change');
      const linkD = links.pop()!;
      for (const stale of links) assertDeadLink(await openLink(stale), 'a link sent before the last change');
      for (const n of [a, b, c, e]) await assertNoSuccessFor(integrator, correlationId, n);
      assertRedirected(await openLink(linkD));
      await assertSuccessFor(integrator, correlationId, d);
    });

    it('after the link expired: it answers 410, a change to B sends nothing, the status is false', async () => {
      const [a, b] = [number(), number()];
      const { client, correlationId } = await desktop(a);
      await client.instantLinkStart();
      const linkA = await latestLink(server, a);
      clock.advance((server.server.deps.config.instantLinkTtlSeconds + 1) * 1000);
      const change = await client.instantLinkStart(b);
      assert.equal(change.status, 200);
      assert.notDeepEqual(change.body, { next: '', data: {} }, 'no send after the link expired');
      assert.equal((await messagesTo(server, b)).length, 0);
      assert.equal((await openLink(linkA)).status, 410, 'an expired link');
      const status = await integrator.status(correlationId);
      assert.notEqual(status.success, 'true');
      assert.equal(status.phoneNumber, a);
    });

    it('at the cap, then the link expired: A’s link answers 410 and the session is false for A', async () => {
      const [a, b] = [number(), number()];
      const { client, correlationId } = await desktop(a);
      await client.instantLinkStart();
      for (let i = 0; i < INSTANT_LINK_MAX_RESENDS; i += 1) await client.instantLinkStart('');
      assertCapped(await client.instantLinkStart(b), 'link');
      const linkA = await latestLink(server, a);
      clock.advance((server.server.deps.config.instantLinkTtlSeconds + 1) * 1000);
      assert.equal((await openLink(linkA)).status, 410);
      const status = await assertNoSuccessFor(integrator, correlationId, b);
      assert.equal(status.success, 'false');
      assert.equal(status.phoneNumber, a);
    });

    it('after the session expired: the change is refused, A’s link answers 410, the status is false', async () => {
      const [a, b] = [number(), number()];
      const { client, correlationId } = await desktop(a);
      await client.instantLinkStart();
      const linkA = await latestLink(server, a);
      clock.advance((SESSION_TTL_SECONDS + 5) * 1000);
      assertSessionOver(await client.instantLinkStart(b), 'the change after the session ended');
      assert.equal((await messagesTo(server, b)).length, 0);
      assert.equal((await openLink(linkA)).status, 410);
      const status = await integrator.status(correlationId);
      assert.equal(status.success, 'false');
      assert.equal(status.phoneNumber, a);
    });
  });

  describe('Mobile Auth', () => {
    /** A mobile session for a number the carrier recognises, with a new key, at the carrier step. */
    async function atCarrier(phone: string): Promise<{ client: ProtocolClient; correlationId: string; key: DeviceKey; redirectUrl: string }> {
      const key = new DeviceKey();
      const started = await integrator.unify({ possessionType: 'mobile', phoneNumber: phone, allowOTPRetry: true, smsMessage: 'Code: ######' });
      const client = clientFor(started.authToken!, { clock });
      assert.equal((await client.deviceStep(key)).body.next, 'mobile/instant');
      const start = await client.call<{ next: string; data?: { redirectUrl: string } }>('/v1/client/mobile/instant/start', {
        cellularIp: null,
        implementation: 'fetch',
      });
      assert.ok(start.body.data?.redirectUrl);
      return { client, correlationId: started.correlationId, key, redirectUrl: start.body.data.redirectUrl };
    }

    it('a vfp the carrier issued for A does not finish the session after a change of number to B', async () => {
      const b = number();
      const { client, correlationId, key, redirectUrl } = await atCarrier(MA_A);
      const carrier = await fetch(`${redirectUrl}?r=f&sdkVersion=3.2.5`);
      assert.equal(carrier.status, 200);
      const { vfp } = (await carrier.json()) as { vfp: string };
      assertSent(await client.otpStart(b), 'otp', 'the change to B (the first OTP send)');
      const finish = await client.call('/v1/client/mobile/instant/finish', { vfp });
      assert.equal(finish.status, 200);
      assert.notDeepEqual(finish.body, { next: 'done' }, 'the vfp was issued before the change');
      assert.ok(finish.body.error, `an error envelope: ${JSON.stringify(finish.body)}`);
      await assertNotTransferred(correlationId, null, b);
      await assertNoSuccessFor(integrator, correlationId, MA_A);
      // The honest path goes on: B's code finishes for B.
      assert.deepEqual((await client.otpFinish(await latestCode(server, b))).body, { next: 'done' });
      await assertSuccessFor(integrator, correlationId, b, key.deviceId);
    });

    it('a vfp issued for A does not finish for B even when B is a number the carrier knows', async () => {
      const { client, correlationId, key, redirectUrl } = await atCarrier(MA_A);
      const { vfp } = (await (await fetch(`${redirectUrl}?r=f&sdkVersion=3.2.5`)).json()) as { vfp: string };
      assertSent(await client.otpStart(MA_B), 'otp', 'the change to B');
      const finish = await client.call('/v1/client/mobile/instant/finish', { vfp });
      assert.notDeepEqual(finish.body, { next: 'done' });
      await assertNotTransferred(correlationId, key, MA_B);
    });

    it('the pixel confirmation for A does not finish the session after a change to B', async () => {
      const b = number();
      const { client, correlationId, key, redirectUrl } = await atCarrier(MA_A);
      const pixel = await fetch(redirectUrl);
      await pixel.body?.cancel();
      assert.equal(pixel.status, 200);
      await client.otpStart(b);
      const finish = await client.call('/v1/client/mobile/instant/finish', { vfp: '' });
      assert.notDeepEqual(finish.body, { next: 'done' });
      await assertNotTransferred(correlationId, key, b);
    });

    it('a carrier URL handed out before a change of number is refused by the carrier afterwards', async () => {
      const { client, correlationId, key, redirectUrl } = await atCarrier(MA_A);
      await client.otpStart(MA_B);
      const carrier = await fetch(`${redirectUrl}?r=f&sdkVersion=3.2.5`);
      await carrier.body?.cancel();
      assert.equal(carrier.status, 404, 'the token belonged to the session before the change');
      const again = await client.call('/v1/client/mobile/instant/start', { cellularIp: null, implementation: 'fetch' });
      assert.notEqual(again.body.next, 'done');
      await assertNotTransferred(correlationId, key, MA_B);
    });
  });
});
