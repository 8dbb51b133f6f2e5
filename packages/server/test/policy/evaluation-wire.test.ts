/**
 * `evaluation` with the fraud policy's reasons keeps the wire shape the official SDKs accept
 * (server-api.md §0 S1, §4.4, §13): every state × failure reason × recorded policy reasons × SIM
 * swap risk gives a reply that passes the protocol package's schema, the wire rules
 * (support/assertions.ts `assertWireResult`) and @handset/node's reply check, with the §13 shape:
 * `authentication` for whether possession was proven, `risk` for the reasons that did not decide it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FAILURE_REASON_TEXT, POLICY_REASON_TEXT } from '@handset/protocol';
import { checkUnifyResult, failureReasons } from '../../../node/src/responses.ts';
import { unifyResult } from '../../src/flows/outcome.js';
import { SESSION_STATES } from '../../src/flows/session-types.js';
import { withReasons } from '../../src/policy/guard.js';
import { assertWireResult } from '../support/assertions.js';

const session = (over: Record<string, string | null>) => ({
  phone_display: '+12025550181',
  prove_id: 'p-1',
  client_human_id: null,
  failure_reason: null,
  sim_swap_risk: null,
  policy_reasons: null,
  ...over,
});

describe('evaluation with policy reasons: the wire shape', () => {
  it('every state × failure reason × policy reasons × SIM swap risk passes the schema, the wire rules and @handset/node', () => {
    let cases = 0;
    for (const state of SESSION_STATES)
      for (const failure_reason of [null, '9100', '9101', '9801', '9803', '9899'])
        for (const policy_reasons of [null, '9802', '9131,9802', '9899'])
          for (const sim_swap_risk of [null, '', 'SIM swap within 24 hours.']) {
            const result = unifyResult(session({ failure_reason, policy_reasons, sim_swap_risk }), state, {});
            assertWireResult(result);
            checkUnifyResult(JSON.parse(JSON.stringify(result)), 'v3UnifyStatusRequest');
            cases += 1;
          }
    assert.ok(cases > 400, `${cases} cases`);
  });

  it('a failed session: the rule that failed it under authentication, earlier reasons under risk (§13 shape)', () => {
    const result = unifyResult(session({ failure_reason: '9803', policy_reasons: '9131,9802' }), 'failed', {});
    assert.deepEqual(result.evaluation, {
      authentication: { result: 'fail', failureReasons: { 9803: FAILURE_REASON_TEXT['9803'] } },
      risk: { result: 'fail', failureReasons: { 9131: 'Non-mobile line.', 9802: FAILURE_REASON_TEXT['9802'] } },
    });
    assert.deepEqual(
      failureReasons(result.evaluation).map((r) => [r.category, r.code]),
      [['authentication', '9803'], ['risk', '9131'], ['risk', '9802']],
      '@handset/node flattens them category by category',
    );
  });

  it('a succeeded session: pass, with the flags and the SIM swap under risk; a code without a text gets the policy text', () => {
    const result = unifyResult(session({ policy_reasons: '9899', sim_swap_risk: 'SIM swap within 24 hours.' }), 'succeeded', {});
    assert.deepEqual(result.evaluation, {
      authentication: { result: 'pass' },
      risk: { result: 'fail', failureReasons: { 9899: POLICY_REASON_TEXT, 9135: 'SIM swap within 24 hours.' } },
    });
    assert.deepEqual(unifyResult(session({}), 'succeeded', {}).evaluation, { authentication: { result: 'pass' } }, 'no risk entry without reasons');
  });

  it('a pending session has no evaluation, even with reasons recorded', () => {
    for (const state of ['created', 'awaiting_possession', 'mobile_auth', 'otp_sent', 'link_sent'] as const) {
      assert.equal(unifyResult(session({ policy_reasons: '9802' }), state, {}).evaluation, undefined, state);
    }
  });

  it('recorded reasons keep the order they first fired in, each once', () => {
    assert.equal(withReasons(null, []), null);
    assert.equal(withReasons(null, [9802]), '9802');
    assert.equal(withReasons('9802', [9131, 9802, 9131]), '9802,9131');
  });
});
