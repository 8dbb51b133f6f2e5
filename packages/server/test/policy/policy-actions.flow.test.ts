/**
 * The fraud policy's actions take effect, over a socket, on both databases (issue 12):
 * - `fail` at a send and at a verification ends the session `false` with the rule's reason in
 *   `evaluation.authentication`, the waiting desktop hears it at once, and `session.failed` and
 *   `fraud.denied` are enqueued (masked number only);
 * - `require_otp` at `mobile_auth` refuses Mobile Auth with the reply the SDK falls back on, and the
 *   OTP path still succeeds, the reason under `evaluation.risk`;
 * - `flag` leaves the session succeeding with the reason under `evaluation.risk`;
 * - a denied send leaves its reason on the session, so a session that then fails shows why;
 * - the same policy with every rule in shadow mode records each rule on the timeline and enforces none.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClientErrorCode, ValidationCode, type UnifyResult } from '@handset/protocol';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { addWebhookEndpoint } from '../../src/webhooks/endpoints-repo.js';
import { listDeliveries } from '../../src/webhooks/queue.js';
import { cryptoRandom } from '../../src/ports/random.js';
import type { Rule } from '../../src/policy/policy-schema.js';
import { assertWireResult } from '../support/assertions.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend, latestMessage } from '../support/server-api.js';

const FR = '+33612345678'; // fail at send
const GB = '+447400123456'; // fail at verify
const CA = '+16135550123'; // require_otp at mobile_auth (a number the sandbox carrier recognises)
const DE = '+4915123456789'; // flag at send
const PREMIUM = '+19005550100'; // deny_send

const RULES: Rule[] = [
  { id: 'fail-fr', when: { signal: 'country', op: '==', value: 'FR' }, action: 'fail', reason: 9803 },
  { id: 'fail-gb-at-verify', at: ['verify'], when: { signal: 'country', op: '==', value: 'GB' }, action: 'fail', reason: 9803 },
  { id: 'otp-only-ca', at: ['mobile_auth'], when: { signal: 'country', op: '==', value: 'CA' }, action: 'require_otp', reason: 9134 },
  { id: 'flag-de', when: { signal: 'country', op: '==', value: 'DE' }, action: 'flag', reason: 9131 },
  { id: 'deny-premium', when: { signal: 'line_type', op: 'in', value: ['premium_rate'] }, action: 'deny_send', reason: 9802 },
];

const TEXT = {
  9100: 'Phone possession incomplete.',
  9131: 'Non-mobile line.',
  9134: 'Non-fixed VoIP.',
  9802: "The number's line type takes no verification texts (premium rate or shared cost).",
  9803: "The number's country is not allowed.",
} as const;

for (const shadow of [false, true]) {
  const mode = shadow ? 'shadow' : 'enforced';
  describe(`policy actions (${mode})`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'handset-policy-actions-'));
    let server: TestServer;
    let backend: Backend;
    let endpointId: string;

    before(async () => {
      const file = join(dir, 'policy.json');
      writeFileSync(file, JSON.stringify({ version: 1, rules: RULES.map((r) => ({ ...r, shadow })) }));
      server = await startTestServer({ mobileAuthNumbers: [CA], overrides: { env: { ...process.env, HANDSET_POLICY_FILE: file } } });
      backend = Backend.of(server);
      // Nobody listens there: the deliveries are read from the queue (delivery itself is tested in webhooks/).
      const endpoint = await addWebhookEndpoint(server.server.deps.db.kysely, { random: cryptoRandom, now: Date.now() }, { clientId: server.clientId, url: 'http://127.0.0.1:9/hooks' });
      endpointId = endpoint.endpointId;
    });
    after(async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    });

    async function timeline(correlationId: string): Promise<Array<{ type: string; reason: string | null; destination: string | null }>> {
      return server.server.deps.db.kysely
        .selectFrom('session_events')
        .select(['type', 'reason', 'destination'])
        .where('correlation_id', '=', correlationId)
        .orderBy('seq')
        .execute();
    }

    /** The matched rules on the session's timeline, as `<rule id> <reason>`. */
    async function matchedRules(correlationId: string): Promise<string[]> {
      return (await timeline(correlationId)).filter((e) => e.type.startsWith('policy:') && e.reason!.startsWith('matched:')).map((e) => `${e.type.slice(7)} ${e.reason}`);
    }

    /** The webhook events enqueued for the session: `{type, data}`, by type. */
    async function webhooks(correlationId: string): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
      const all = await listDeliveries(server.server.deps.db.kysely, { endpointId, limit: 1000 });
      return all
        .map((d) => JSON.parse(d.payload) as { type: string; data: Record<string, unknown> })
        .filter((p) => p.data.correlationId === correlationId)
        // One step enqueues its events at one time stamp: their order in the queue is not theirs, so sort by type.
        .sort((a, b) => a.type.localeCompare(b.type));
    }

    /** unify-status, checked against the wire rules the official SDKs need. */
    async function statusOf(correlationId: string): Promise<UnifyResult> {
      const status = await backend.status(correlationId);
      assertWireResult(status);
      return status;
    }

    async function mobile(phoneNumber: string): Promise<{ correlationId: string; client: ProtocolClient }> {
      const started = await backend.unify({ possessionType: 'mobile', phoneNumber });
      return { correlationId: started.correlationId, client: new ProtocolClient(started.authToken!) };
    }

    async function otpPasses(client: ProtocolClient, to: string): Promise<void> {
      const { code } = await latestMessage(server, to);
      assert.equal((await client.otpFinish(code!)).body.next, 'done');
    }

    it(`fail at a send: ${shadow ? 'recorded only, the code goes out' : 'the session ends false with the reason, no text, session.failed and fraud.denied'}`, async () => {
      const { correlationId, client } = await mobile(FR);
      const reply = await client.otpStart();
      assert.equal(reply.status, 200);
      assert.deepEqual(await matchedRules(correlationId), [`fail-fr matched:fail:${mode}:9803`]);
      if (shadow) {
        assert.deepEqual(reply.body, { next: 'mobile/otp' });
        await otpPasses(client, FR);
        assert.deepEqual((await statusOf(correlationId)).evaluation, { authentication: { result: 'pass' } });
        assert.deepEqual((await webhooks(correlationId)).map((w) => w.type), ['session.succeeded']);
        return;
      }
      assert.deepEqual(reply.body, { next: 'done', error: { code: ClientErrorCode.AUTHENTICATION_FAILURE, message: 'This verification was refused.' } });
      assert.equal((await server.outbox()).filter((m) => m.to === FR).length, 0, 'no text');
      const status = await statusOf(correlationId);
      assert.equal(status.success, 'false');
      assert.deepEqual(status.evaluation, { authentication: { result: 'fail', failureReasons: { 9803: TEXT[9803] } } });
      const entries = await timeline(correlationId);
      assert.ok(entries.some((e) => e.type === 'policy_failed' && e.reason === '9803'), 'the state machine judged policy_failed');
      const events = await webhooks(correlationId);
      assert.deepEqual(events.map((w) => w.type), ['fraud.denied', 'session.failed']);
      assert.deepEqual(events[0]!.data, {
        correlationId, possessionType: 'mobile', point: 'send', action: 'fail', rule: 'fail-fr', reason: '9803', phoneNumberMasked: '+33*****5678',
      });
      assert.equal(events[1]!.data.reason, '9803');
      for (const e of events) assert.ok(!JSON.stringify(e).includes(FR), 'no full number in a payload');
      // The session has ended: a code check is refused.
      assert.equal((await client.otpFinish('1234')).body.error?.code, ClientErrorCode.AUTHENTICATION_PROHIBITED_ACTION);
    });

    it(`fail at a change of number: ${shadow ? 'recorded only' : 'fraud.denied names the (masked) number the text would have gone to'}`, async () => {
      const { correlationId, client } = await mobile('+12025550181');
      assert.deepEqual((await client.otpStart()).body, { next: 'mobile/otp' });
      const reply = await client.otpStart(FR);
      const denied = (await webhooks(correlationId)).filter((w) => w.type === 'fraud.denied');
      if (shadow) {
        assert.deepEqual(reply.body, { next: 'mobile/otp' });
        assert.deepEqual(denied, []);
        return;
      }
      assert.equal(reply.body.next, 'done');
      assert.deepEqual(denied.map((w) => w.data.phoneNumberMasked), ['+33*****5678']);
      assert.equal((await statusOf(correlationId)).success, 'false');
    });

    it(`fail at a verification: ${shadow ? 'recorded only, the link opens' : 'the opened link fails the session and the waiting desktop hears it at once'}`, async () => {
      const started = await backend.unify({ possessionType: 'desktop', phoneNumber: GB, finalTargetUrl: 'https://shop.example.com/done' });
      const client = new ProtocolClient(started.authToken!);
      assert.deepEqual((await client.instantLinkStart()).body, { next: '', data: {} }, 'no fail rule at the send for GB');
      const socket = await client.openStatusSocket();
      try {
        const { link } = await latestMessage(server, GB);
        const opened = await fetch(link!, { redirect: 'manual' });
        await opened.body?.cancel();
        const pushed = JSON.parse(await socket.next()) as unknown;
        assert.deepEqual(await matchedRules(started.correlationId), [`fail-gb-at-verify matched:fail:${mode}:9803`]);
        const status = await statusOf(started.correlationId);
        if (shadow) {
          assert.equal(opened.status, 302);
          assert.deepEqual(pushed, { next: 'done' });
          assert.deepEqual(status.evaluation, { authentication: { result: 'pass' } });
          return;
        }
        assert.equal(opened.status, 410);
        assert.deepEqual(pushed, { next: 'done', error: { code: ClientErrorCode.AUTHENTICATION_EXTERNAL_FAILURE, message: 'The authentication session has ended.' } });
        assert.equal(status.success, 'false');
        assert.deepEqual(status.evaluation, { authentication: { result: 'fail', failureReasons: { 9803: TEXT[9803] } } });
        assert.deepEqual((await webhooks(started.correlationId)).map((w) => [w.type, w.data.point ?? null]), [['fraud.denied', 'verify'], ['session.failed', null]]);
      } finally {
        socket.close();
      }
    });

    it(`fail at a code check: ${shadow ? 'recorded only, the right code passes' : 'the session fails with the reason whatever the code'}`, async () => {
      // fail-gb-at-verify again, at an OTP code check this time.
      const { correlationId, client } = await mobile(GB);
      assert.deepEqual((await client.otpStart()).body, { next: 'mobile/otp' });
      const { code } = await latestMessage(server, GB);
      const reply = await client.otpFinish(code!);
      const status = await statusOf(correlationId);
      if (shadow) {
        assert.deepEqual(reply.body, { next: 'done' });
        assert.equal(status.success, 'true');
        return;
      }
      assert.deepEqual(reply.body, { next: 'done', error: { code: ClientErrorCode.AUTHENTICATION_FAILURE, message: 'This verification was refused.' } });
      assert.deepEqual(status.evaluation, { authentication: { result: 'fail', failureReasons: { 9803: TEXT[9803] } } });
    });

    it(`require_otp: ${shadow ? 'recorded only, Mobile Auth passes' : 'Mobile Auth is refused with the fallback reply, the OTP path succeeds with the reason under risk'}`, async () => {
      const { correlationId, client } = await mobile(CA);
      const auth = await client.mobileAuth();
      assert.deepEqual(await matchedRules(correlationId), [`otp-only-ca matched:require_otp:${mode}:9134`]);
      if (shadow) {
        assert.equal(auth.finish?.body.next, 'done');
        assert.deepEqual((await statusOf(correlationId)).evaluation, { authentication: { result: 'pass' } });
        return;
      }
      // {error, next: "mobile/otp"}: the SDK follows next without reporting (client-protocol.md §2.3), as after a failed Mobile Auth.
      assert.deepEqual(auth.start.body, { next: 'mobile/otp', error: { code: ClientErrorCode.AUTHENTICATION_EXTERNAL_FAILURE, message: 'Mobile Auth is not available for this verification' } });
      assert.equal(auth.finish, null);
      assert.deepEqual((await client.otpStart()).body, { next: 'mobile/otp' });
      await otpPasses(client, CA);
      const status = await statusOf(correlationId);
      assert.equal(status.success, 'true');
      assert.deepEqual(status.evaluation, { authentication: { result: 'pass' }, risk: { result: 'fail', failureReasons: { 9134: TEXT[9134] } } });
      assert.deepEqual((await webhooks(correlationId)).map((w) => w.type), ['session.succeeded'], 'require_otp raises no fraud.denied');
    });

    it(`flag: ${shadow ? 'recorded only, no risk reason' : 'the session succeeds with the reason under evaluation.risk'}`, async () => {
      const { correlationId, client } = await mobile(DE);
      assert.deepEqual((await client.otpStart()).body, { next: 'mobile/otp' });
      await otpPasses(client, DE);
      assert.deepEqual(await matchedRules(correlationId), [`flag-de matched:flag:${mode}:9131`]);
      const status = await statusOf(correlationId);
      assert.equal(status.success, 'true');
      const expected = shadow
        ? { authentication: { result: 'pass' } }
        : { authentication: { result: 'pass' }, risk: { result: 'fail', failureReasons: { 9131: TEXT[9131] } } };
      assert.deepEqual(status.evaluation, expected);
    });

    it(`deny_send: ${shadow ? 'recorded only, the text goes out' : 'a session that fails after its text was refused shows why under risk; fraud.denied'}`, async () => {
      const { correlationId, client } = await mobile(PREMIUM);
      const reply = await client.otpStart();
      assert.deepEqual(await matchedRules(correlationId), [`deny-premium matched:deny_send:${mode}:9802`]);
      if (shadow) assert.deepEqual(reply.body, { next: 'mobile/otp' });
      else assert.equal((reply.body.data as { code: number }).code, ValidationCode.INVALID_PHONE_NUMBER);
      assert.equal((await server.outbox()).filter((m) => m.to === PREMIUM).length, shadow ? 1 : 0);
      assert.equal((await statusOf(correlationId)).evaluation, undefined, 'a pending session has no evaluation yet');
      // The person gives up: the browser reports the failure.
      await client.reportError('mobile/otp', 'the user cancelled');
      const status = await statusOf(correlationId);
      assert.equal(status.success, 'false');
      const authentication = { result: 'fail', failureReasons: { 9100: TEXT[9100] } };
      assert.deepEqual(status.evaluation, shadow ? { authentication } : { authentication, risk: { result: 'fail', failureReasons: { 9802: TEXT[9802] } } });
      const events = (await webhooks(correlationId)).map((w) => (w.type === 'fraud.denied' ? `${w.type} ${String(w.data.action)} ${String(w.data.reason)}` : w.type));
      assert.deepEqual(events, shadow ? ['session.failed'] : ['fraud.denied deny_send 9802', 'session.failed']);
    });
  });
}
