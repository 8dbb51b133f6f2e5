/**
 * The state machine: every allowed transition, and refusals for the rest.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { effectiveState, transition, type SessionFacts } from '../../src/flows/session-state.js';

const facts = (over: Partial<SessionFacts>): SessionFacts => ({
  state: 'created',
  possession_type: 'mobile',
  device_match: null,
  rebind: 0,
  ...over,
});

describe('session state machine', () => {
  it('mobile: a matching key succeeds at once; a new or mismatched key waits for possession', () => {
    assert.deepEqual(transition(facts({}), { type: 'device_checked', match: 'match' }), { state: 'succeeded' });
    assert.deepEqual(transition(facts({}), { type: 'device_checked', match: 'new' }), { state: 'awaiting_possession' });
    assert.deepEqual(transition(facts({}), { type: 'device_checked', match: 'mismatch' }), { state: 'awaiting_possession' });
  });

  it('customer-supplied: a new key needs possession (9100), a mismatch needs a rebind (9101)', () => {
    const none = facts({ possession_type: 'none' });
    assert.deepEqual(transition(none, { type: 'device_checked', match: 'new' }), { state: 'possession_required', reason: '9100' });
    assert.deepEqual(transition(none, { type: 'device_checked', match: 'mismatch' }), { state: 'possession_required', reason: '9101' });
    assert.deepEqual(transition(none, { type: 'device_checked', match: 'match' }), { state: 'succeeded' });
  });

  it('possession proven: binds a new key, rebinds only when asked, else requires a rebind', () => {
    const ma = (over: Partial<SessionFacts>) => facts({ state: 'mobile_auth', ...over });
    assert.deepEqual(transition(ma({ device_match: 'new' }), { type: 'possession_proven' }), { state: 'succeeded', bindDevice: true });
    assert.deepEqual(transition(ma({ device_match: 'mismatch', rebind: 1 }), { type: 'possession_proven' }), { state: 'succeeded', bindDevice: true });
    assert.deepEqual(transition(ma({ device_match: 'mismatch' }), { type: 'possession_proven' }), { state: 'possession_required', reason: '9101' });
    assert.deepEqual(transition(ma({ device_match: 'none' }), { type: 'possession_proven' }), { state: 'succeeded' });
    assert.deepEqual(transition(facts({ state: 'link_sent', possession_type: 'desktop' }), { type: 'possession_proven' }), { state: 'succeeded' });
  });

  it('refuses steps out of order', () => {
    assert.equal(transition(facts({}), { type: 'possession_proven' }), null, 'no possession before a check started');
    assert.equal(transition(facts({ possession_type: 'desktop' }), { type: 'device_checked', match: 'new' }), null, 'desktop ignores keys');
    assert.equal(transition(facts({ possession_type: 'desktop' }), { type: 'otp_sent' }), null);
    assert.equal(transition(facts({}), { type: 'link_sent' }), null, 'no Instant Link on mobile');
    assert.equal(transition(facts({ possession_type: 'none' }), { type: 'mobile_auth_started' }), null);
    assert.equal(transition(facts({ state: 'awaiting_possession' }), { type: 'device_checked', match: 'new' }), null, 'one device step');
    assert.equal(transition(facts({ state: 'created' }), { type: 'bound' }), null, 'bind only after possession_required');
    assert.equal(transition(facts({ state: 'otp_sent' }), { type: 'mobile_auth_failed' }), null);
  });

  it('terminal states accept nothing, not even expiry', () => {
    for (const state of ['succeeded', 'failed'] as const) {
      for (const type of ['expired', 'failed', 'bound', 'otp_sent', 'possession_proven'] as const) {
        assert.equal(transition(facts({ state }), { type } as never), null, `${state} + ${type}`);
      }
    }
  });

  it('a bind after possession_required succeeds and binds', () => {
    assert.deepEqual(transition(facts({ state: 'possession_required', possession_type: 'none' }), { type: 'bound' }), {
      state: 'succeeded',
      bindDevice: true,
    });
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
