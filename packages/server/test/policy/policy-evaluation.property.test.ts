/**
 * A property over random policies × random step sequences, on a real server over a socket (both
 * databases): whatever the rules (any action, points, shadow or not) and whatever the person does
 * (sends, resends, changes of number, right and wrong codes, Mobile Auth, link openings, giving
 * up), every reply is HTTP 200, and `unify-status`'s `evaluation`
 * - satisfies the wire schema (support/assertions.ts `assertWireResult`);
 * - never carries the reason of a rule that did not match or is in shadow mode (each rule has its
 *   own code, so a code names its rule; the timeline says how each rule was judged);
 * - once the session has an outcome, carries under `risk` exactly the reasons of the enforced
 *   `flag`, `deny_send` and `require_otp` rules, and under `authentication` either the machine's
 *   reason (9100, 9101, 9801) or an enforced `fail` rule's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import pino from 'pino';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { validatePolicy } from '../../src/policy/load-policy.js';
import type { Comparison, PolicyAction, PolicyFile, PolicyPoint, Rule } from '../../src/policy/policy-schema.js';
import { assertWireResult } from '../support/assertions.js';
import { ProtocolClient, type Reply } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';

const RUNS = 40;
const NUMBERS = ['+33612345678', '+447400123456', '+16135550123', '+4915123456789', '+12025550181', '+19005550100'];
const MOBILE_AUTH_NUMBERS = ['+16135550123', '+12025550181'];
const MACHINE_CODES = new Set(['9100', '9101', '9801']);

const comparison: fc.Arbitrary<Comparison> = fc.oneof(
  fc.record({ signal: fc.constant('country'), op: fc.constantFrom('==', '!='), value: fc.constantFrom('FR', 'GB', 'CA', 'DE', 'US') }),
  fc.record({ signal: fc.constant('country'), op: fc.constantFrom('in', 'not_in'), value: fc.subarray(['FR', 'GB', 'CA', 'DE', 'US'], { minLength: 1 }) }),
  fc.record({ signal: fc.constant('line_type'), op: fc.constantFrom('in', 'not_in'), value: fc.subarray(['mobile', 'fixed_line_or_mobile', 'premium_rate'], { minLength: 1 }) }),
  fc.record({ signal: fc.constantFrom('resends', 'wrong_codes'), op: fc.constantFrom('>=', '<', '=='), value: fc.integer({ min: 0, max: 2 }) }),
) as fc.Arbitrary<Comparison>;

const ruleShape = fc.record({
  when: fc.oneof(comparison, fc.record({ all: fc.array(comparison, { minLength: 1, maxLength: 2 }) }), fc.record({ any: fc.array(comparison, { minLength: 1, maxLength: 2 }) })),
  action: fc.constantFrom<PolicyAction>('allow', 'flag', 'deny_send', 'require_otp', 'fail'),
  at: fc.subarray<PolicyPoint>(['send', 'mobile_auth', 'verify'], { minLength: 1 }),
  shadow: fc.boolean(),
});

/** A valid policy: each rule has its own reason code, and points that fit its action. */
const policies: fc.Arbitrary<PolicyFile> = fc.array(ruleShape, { maxLength: 4 }).map((shapes) => ({
  version: 1 as const,
  rules: shapes.map((s, i): Rule => ({
    id: `r${i}`,
    when: s.when,
    action: s.action,
    reason: 9810 + i,
    shadow: s.shadow,
    at: s.action === 'deny_send' ? ['send'] : s.action === 'require_otp' ? ['mobile_auth'] : s.at,
  })),
}));

type Step =
  | { kind: 'send' }
  | { kind: 'send_to'; to: string }
  | { kind: 'right_code' }
  | { kind: 'wrong_code' }
  | { kind: 'mobile_auth' }
  | { kind: 'give_up' }
  | { kind: 'open_link' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constant({ kind: 'send' as const }),
  fc.constantFrom(...NUMBERS).map((to) => ({ kind: 'send_to' as const, to })),
  fc.constant({ kind: 'right_code' as const }),
  fc.constant({ kind: 'wrong_code' as const }),
  fc.constant({ kind: 'mobile_auth' as const }),
  fc.constant({ kind: 'give_up' as const }),
  fc.constant({ kind: 'open_link' as const }),
);

const scenarios = fc.record({
  policy: policies,
  possessionType: fc.constantFrom('mobile' as const, 'desktop' as const),
  phoneNumber: fc.constantFrom(...NUMBERS),
  allowOTPRetry: fc.boolean(),
  steps: fc.array(step, { minLength: 1, maxLength: 6 }),
});

describe('evaluation over random policies × random steps', () => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-policy-property-'));
  const file = join(dir, 'policy.json');
  const silent = pino({ level: 'silent' });
  let server: TestServer;
  let backend: Backend;

  before(async () => {
    writeFileSync(file, JSON.stringify({ version: 1, rules: [] }));
    server = await startTestServer({ mobileAuthNumbers: MOBILE_AUTH_NUMBERS, overrides: { env: { ...process.env, HANDSET_POLICY_FILE: file } } });
    backend = Backend.of(server);
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The newest text of the session (the live code or link). */
  async function latestText(correlationId: string): Promise<string> {
    const row = await server.server.deps.db.kysely
      .selectFrom('sms_outbox')
      .select('body')
      .where('correlation_id', '=', correlationId)
      .orderBy('sent_at', 'desc')
      .executeTakeFirst();
    return row?.body ?? '';
  }

  async function run(client: ProtocolClient, correlationId: string, desktop: boolean, s: Step): Promise<void> {
    const replies: Array<Reply<unknown>> = [];
    switch (s.kind) {
      case 'send':
        replies.push(desktop ? await client.instantLinkStart() : await client.otpStart());
        break;
      case 'send_to':
        replies.push(desktop ? await client.instantLinkStart(s.to) : await client.otpStart(s.to));
        break;
      case 'right_code':
      case 'wrong_code': {
        const code = /\b(\d{4,6})\b/.exec(await latestText(correlationId))?.[1] ?? '0000';
        replies.push(await client.otpFinish(s.kind === 'right_code' ? code : code === '0000' ? '1111' : '0000'));
        break;
      }
      case 'mobile_auth': {
        const auth = await client.mobileAuth();
        replies.push(auth.start);
        if (auth.finish) replies.push(auth.finish);
        break;
      }
      case 'give_up':
        replies.push(await client.reportError(desktop ? 'mobile/instantlink' : 'mobile/otp', 'the person gave up'));
        break;
      case 'open_link': {
        const link = /(https?:\/\/\S+)/.exec(await latestText(correlationId))?.[1];
        if (link) {
          const opened = await fetch(link, { redirect: 'manual' });
          await opened.body?.cancel();
          assert.ok([302, 404, 410].includes(opened.status), `link page ${opened.status}`);
        }
        break;
      }
    }
    for (const reply of replies) assert.equal(reply.status, 200, `${s.kind}: ${JSON.stringify(reply.body)}`);
  }

  it('evaluation is wire-valid and carries only the reasons of matched, enforced rules', async () => {
    await fc.assert(
      fc.asyncProperty(scenarios, async ({ policy, possessionType, phoneNumber, allowOTPRetry, steps }) => {
        assert.ok(validatePolicy(policy).ok, 'the generated policy is valid');
        writeFileSync(file, JSON.stringify(policy));
        assert.equal(server.server.deps.policy.reload(silent), true);
        const desktop = possessionType === 'desktop';
        const started = await backend.unify(desktop ? { possessionType, phoneNumber, finalTargetUrl: 'https://shop.example.com/done' } : { possessionType, phoneNumber, allowOTPRetry });
        const client = new ProtocolClient(started.authToken!);
        for (const s of steps) await run(client, started.correlationId, desktop, s);

        const status = await backend.status(started.correlationId);
        assertWireResult(status);
        const entries = await server.server.deps.db.kysely
          .selectFrom('session_events')
          .select(['type', 'reason'])
          .where('correlation_id', '=', started.correlationId)
          .where('channel', '=', 'policy')
          .execute();
        // `matched:<action>:enforced:<code>` entries: the rules that took effect at least once.
        const enforced = new Map<string, PolicyAction>();
        for (const e of entries) {
          const [matched, action, mode, code] = e.reason!.split(':') as [string, PolicyAction, string, string];
          if (matched === 'matched' && mode === 'enforced') enforced.set(code, action);
        }
        if (status.evaluation === undefined) {
          assert.ok(['pending'].includes(status.success), `only a pending session has no evaluation (${status.success})`);
          return;
        }
        const { authentication, risk } = status.evaluation;
        for (const code of Object.keys(authentication?.failureReasons ?? {})) {
          assert.ok(MACHINE_CODES.has(code) || enforced.get(code) === 'fail', `authentication reason ${code} is the machine's or an enforced fail rule's`);
        }
        const expectedRisk = [...enforced].filter(([, action]) => ['flag', 'deny_send', 'require_otp'].includes(action)).map(([code]) => code).sort();
        assert.deepEqual(Object.keys(risk?.failureReasons ?? {}).sort(), expectedRisk, 'risk: exactly the enforced flag, deny_send and require_otp reasons');
      }),
      { numRuns: RUNS },
    );
  });
});
