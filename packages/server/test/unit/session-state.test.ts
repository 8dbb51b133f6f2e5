/**
 * The state machine: allowed transitions with the fields they change, refusals for the rest, and
 * the possession invariant (a proof counts only for the number it was issued for).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OTP_MAX_RESENDS } from '@handset/protocol';
import { decide, effectiveState, type Decision, type SessionEvent, type SessionFacts } from '../../src/flows/session-state.js';

const A = '+12025550100';
const B = '+12025550199';

const facts = (over: Partial<SessionFacts>): SessionFacts => ({
  state: 'created',
  possession_type: 'mobile',
  device_match: null,
  rebind: 0,
  phone_e164: A,
  proof_to: null,
  otp_resends: 0,
  link_resends: 0,
  otp_attempts: 0,
  allow_otp_retry: 0,
  ...over,
});

function outcome(d: Decision): string {
  return d.ok ? `${d.state}${d.bindDevice ? '+bind' : ''}` : `refused:${d.refusal}`;
}
const run = (f: Partial<SessionFacts>, e: SessionEvent): string => outcome(decide(facts(f), e));

describe('session state machine', () => {
  it('mobile: a matching key succeeds at once; a new or mismatched key waits for possession', () => {
    assert.equal(run({}, { type: 'device_checked', match: 'match', keyNumber: A }), 'succeeded');
    assert.equal(run({}, { type: 'device_checked', match: 'new' }), 'awaiting_possession');
    assert.equal(run({}, { type: 'device_checked', match: 'mismatch' }), 'awaiting_possession');
  });

  it('customer-supplied: a new key needs possession (9100), a mismatch needs a rebind (9101)', () => {
    const none = { possession_type: 'none' as const };
    const reason = (match: 'new' | 'mismatch') => {
      const d = decide(facts(none), { type: 'device_checked', match });
      return d.ok ? d.changes.failure_reason : null;
    };
    assert.equal(reason('new'), '9100');
    assert.equal(reason('mismatch'), '9101');
    assert.equal(run(none, { type: 'device_checked', match: 'match', keyNumber: A }), 'succeeded');
  });

  it('possession proven: binds a new key, rebinds only when asked, else requires a rebind', () => {
    const ma = (over: Partial<SessionFacts>) => ({ state: 'mobile_auth' as const, proof_to: A, ...over });
    assert.equal(run(ma({ device_match: 'new' }), { type: 'mobile_auth_passed', phone: A, match: null }), 'succeeded+bind');
    assert.equal(run(ma({ device_match: 'mismatch', rebind: 1 }), { type: 'mobile_auth_passed', phone: A, match: null }), 'succeeded+bind');
    assert.equal(run(ma({ device_match: 'mismatch' }), { type: 'mobile_auth_passed', phone: A, match: null }), 'possession_required');
    assert.equal(run(ma({ device_match: 'none' }), { type: 'mobile_auth_passed', phone: A, match: null }), 'succeeded');
    assert.equal(run({ state: 'link_sent', possession_type: 'desktop', proof_to: A }, { type: 'link_opened' }), 'succeeded');
  });

  it('a proof counts only while it is for the current number', () => {
    assert.equal(run({ state: 'otp_sent', proof_to: B }, { type: 'otp_checked', result: 'correct' }), 'failed', 'counts as a wrong code');
    assert.equal(run({ state: 'otp_sent', proof_to: null }, { type: 'otp_checked', result: 'correct' }), 'failed');
    assert.equal(run({ state: 'otp_sent', proof_to: A }, { type: 'otp_checked', result: 'correct' }), 'succeeded');
    assert.equal(run({ state: 'link_sent', possession_type: 'desktop', proof_to: B }, { type: 'link_opened' }), 'refused:not_allowed');
    assert.equal(run({ state: 'mobile_auth', proof_to: B }, { type: 'mobile_auth_passed', phone: A, match: null }), 'refused:not_allowed');
  });

  it('a change of number takes the number, clears every earlier proof and binds the new proof to it', () => {
    const d = decide(facts({ state: 'otp_sent', proof_to: A }), { type: 'otp_sent', to: B, match: 'new' });
    assert.ok(d.ok);
    assert.deepEqual(d.changes, {
      state: 'otp_sent',
      otp_resends: 1,
      phone_e164: B,
      device_match: 'new',
      prove_id: null,
      proof_to: B,
      otp_hash: null,
      link_hash: null,
      mobile_auth_token: null,
      mobile_auth_confirmed: 0,
    });
  });

  it('resends and changes of number share one cap; at the cap nothing changes', () => {
    const atCap = { state: 'otp_sent' as const, proof_to: A, otp_resends: OTP_MAX_RESENDS };
    assert.equal(run(atCap, { type: 'otp_sent', to: A, match: null }), 'refused:too_many_messages');
    assert.equal(run(atCap, { type: 'otp_sent', to: B, match: 'new' }), 'refused:too_many_messages');
    assert.equal(run({ ...atCap, otp_resends: OTP_MAX_RESENDS - 1 }, { type: 'otp_sent', to: B, match: 'new' }), 'otp_sent');
    const first = decide(facts({ state: 'awaiting_possession' }), { type: 'otp_sent', to: B, match: 'new' });
    assert.ok(first.ok && first.changes.otp_resends === undefined, 'the first message is free, to any number');
    const linkCap = { state: 'link_sent' as const, possession_type: 'desktop' as const, link_resends: 3 };
    assert.equal(run(linkCap, { type: 'link_sent', to: B, match: null }), 'refused:too_many_messages');
  });

  it('wrong codes count; the last try fails the session; an expired code changes nothing', () => {
    assert.equal(run({ state: 'otp_sent', proof_to: A }, { type: 'otp_checked', result: 'wrong' }), 'failed');
    assert.equal(run({ state: 'otp_sent', proof_to: A, allow_otp_retry: 1 }, { type: 'otp_checked', result: 'wrong' }), 'otp_sent');
    assert.equal(run({ state: 'otp_sent', proof_to: A, allow_otp_retry: 1, otp_attempts: 3 }, { type: 'otp_checked', result: 'wrong' }), 'failed');
    const expired = decide(facts({ state: 'otp_sent', proof_to: A }), { type: 'otp_checked', result: 'expired' });
    assert.ok(expired.ok);
    assert.deepEqual(expired.changes, { state: 'otp_sent' });
  });

  it('refuses steps out of order', () => {
    assert.equal(run({}, { type: 'mobile_auth_passed', phone: A, match: null }), 'refused:not_allowed', 'no possession before a check started');
    assert.equal(run({ possession_type: 'desktop' }, { type: 'device_checked', match: 'new' }), 'refused:not_allowed');
    assert.equal(run({ possession_type: 'desktop' }, { type: 'otp_sent', to: A, match: null }), 'refused:not_allowed');
    assert.equal(run({}, { type: 'link_sent', to: A, match: null }), 'refused:not_allowed', 'no Instant Link on mobile');
    assert.equal(run({ possession_type: 'none' }, { type: 'mobile_auth_started' }), 'refused:not_allowed');
    assert.equal(run({ state: 'awaiting_possession' }, { type: 'device_checked', match: 'new' }), 'refused:not_allowed');
    assert.equal(run({}, { type: 'bound', phone: A }), 'refused:not_allowed', 'bind only after possession_required');
    assert.equal(run({ state: 'otp_sent' }, { type: 'mobile_auth_failed' }), 'refused:not_allowed');
    assert.equal(run({ state: 'awaiting_possession' }, { type: 'short_term_user' }), 'refused:not_allowed');
  });

  it('terminal states accept nothing, not even expiry', () => {
    const events: SessionEvent[] = [
      { type: 'expired' },
      { type: 'client_failed' },
      { type: 'bound', phone: A },
      { type: 'otp_sent', to: A, match: null },
      { type: 'otp_checked', result: 'correct' },
      { type: 'link_opened' },
    ];
    for (const state of ['succeeded', 'failed'] as const) {
      for (const event of events) assert.equal(run({ state, proof_to: A }, event), 'refused:not_allowed', `${state} + ${event.type}`);
    }
  });

  it('a bind after possession_required succeeds and binds, only for the session number', () => {
    const required = { state: 'possession_required' as const, possession_type: 'none' as const };
    assert.equal(run(required, { type: 'bound', phone: A }), 'succeeded+bind');
    assert.equal(run(required, { type: 'bound', phone: B }), 'refused:other_number');
  });

  it('sandbox short-term users: mobile and desktop succeed, customer-supplied needs the bind', () => {
    assert.equal(run({}, { type: 'short_term_user' }), 'succeeded');
    assert.equal(run({ possession_type: 'desktop' }, { type: 'short_term_user' }), 'succeeded');
    assert.equal(run({ possession_type: 'none' }, { type: 'short_term_user' }), 'possession_required');
  });

  it('a session without a number takes it only from a verified bound key, the carrier, or the bind', () => {
    const noNumber = { phone_e164: null, possession_type: 'none' as const };
    const keyed = decide(facts(noNumber), { type: 'device_checked', match: 'match', keyNumber: B });
    assert.ok(keyed.ok && keyed.state === 'succeeded' && keyed.changes.phone_e164 === B);
    assert.equal(run(noNumber, { type: 'device_checked', match: 'match' }), 'refused:not_allowed', 'a match names the key number');
    assert.equal(run({}, { type: 'device_checked', match: 'match', keyNumber: B }), 'refused:not_allowed', 'a key of another number is no match');
    assert.equal(run(noNumber, { type: 'device_checked', match: 'new' }), 'possession_required');
    const bound = decide(facts({ ...noNumber, state: 'possession_required' }), { type: 'bound', phone: B });
    assert.ok(bound.ok && bound.bindDevice && bound.changes.phone_e164 === B);
    const discovering = { phone_e164: null, state: 'mobile_auth' as const, device_match: 'new' as const };
    const found = decide(facts(discovering), { type: 'mobile_auth_passed', phone: B, match: 'new' });
    assert.ok(found.ok && found.state === 'succeeded' && found.bindDevice && found.changes.phone_e164 === B);
    assert.equal(run({ state: 'mobile_auth', proof_to: A }, { type: 'mobile_auth_passed', phone: B, match: null }), 'refused:not_allowed');
  });

  it('effectiveState: expiry of the session and of an unopened Instant Link', () => {
    const row = { state: 'link_sent' as const, expires_at: 10_000, link_sent_at: 1_000 };
    assert.equal(effectiveState(row, 5_000, 5_000), 'link_sent');
    assert.equal(effectiveState(row, 6_000, 5_000), 'failed', 'link expired');
    assert.equal(effectiveState({ ...row, state: 'otp_sent' }, 9_999, 5_000), 'otp_sent');
    assert.equal(effectiveState({ ...row, state: 'otp_sent' }, 10_000, 5_000), 'failed');
    assert.equal(effectiveState({ ...row, state: 'succeeded' }, 99_999, 5_000), 'succeeded');
  });
});
