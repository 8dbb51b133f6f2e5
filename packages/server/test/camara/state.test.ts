/**
 * The operator state: a round trip, and refusal of a state that is tampered with, issued for
 * another session, expired, signed with another key, or not a state at all.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkState, createState } from '../../src/mobile-auth/camara/state.js';

const KEY = 'k'.repeat(32);
const NOW = Date.parse('2026-12-01T12:00:00Z');
const SESSION = '0f8fad5b-d9cb-469f-a165-70867728950e';
const OTHER = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

function fresh(sessionId = SESSION): string {
  return createState(KEY, { sessionId, operator: 'op1', ttlSeconds: 300, nowMs: NOW }).state;
}

describe('operator state', () => {
  it('opens to the session, operator, expiry and nonce it was made with', () => {
    const { state, claims } = createState(KEY, { sessionId: SESSION, operator: 'op1', ttlSeconds: 300, nowMs: NOW });
    const checked = checkState(KEY, state, { nowMs: NOW + 299_000, sessionId: SESSION });
    assert.deepEqual(checked, { ok: true, claims });
    assert.equal(claims.expiresAt, NOW / 1000 + 300);
    assert.match(claims.nonce, /^[A-Za-z0-9_-]{22}$/);
    assert.ok(!state.includes(SESSION), 'the state is encoded, not the bare id');
  });

  it('gives every state its own nonce', () => {
    assert.notEqual(fresh(), fresh());
  });

  it('refuses a state from another session', () => {
    assert.deepEqual(checkState(KEY, fresh(OTHER), { nowMs: NOW, sessionId: SESSION }), { ok: false, reason: 'other_session' });
  });

  it('refuses an expired state', () => {
    assert.deepEqual(checkState(KEY, fresh(), { nowMs: NOW + 300_000, sessionId: SESSION }), { ok: false, reason: 'expired' });
  });

  it('refuses a state signed with another key', () => {
    const state = createState('x'.repeat(32), { sessionId: SESSION, operator: 'op1', ttlSeconds: 300, nowMs: NOW }).state;
    assert.deepEqual(checkState(KEY, state, { nowMs: NOW, sessionId: SESSION }), { ok: false, reason: 'tampered' });
  });

  it('refuses a payload rewritten to another session or a later expiry, keeping the MAC', () => {
    const [, tag] = fresh().split('.');
    for (const body of [
      { v: 1, sid: OTHER, op: 'op1', exp: NOW / 1000 + 300, n: 'abc' },
      { v: 1, sid: SESSION, op: 'op1', exp: NOW / 1000 + 99_999, n: 'abc' },
    ]) {
      const forged = `${Buffer.from(JSON.stringify(body)).toString('base64url')}.${tag}`;
      assert.deepEqual(checkState(KEY, forged, { nowMs: NOW }), { ok: false, reason: 'tampered' });
    }
  });

  it('refuses things that are not states', () => {
    for (const value of [undefined, null, 42, '', 'abc', 'a.b.c', `${'a'.repeat(600)}.${'b'.repeat(43)}`, 'eyJ2IjoxfQ.!!!', `e30.${'A'.repeat(43)}`]) {
      const checked = checkState(KEY, value, { nowMs: NOW });
      assert.equal(checked.ok, false, String(value));
    }
  });

  it('never accepts a state with any character changed, added or removed (property)', () => {
    const state = fresh();
    fc.assert(
      fc.property(fc.nat({ max: state.length }), fc.string({ minLength: 0, maxLength: 3 }), fc.nat({ max: 3 }), (at, insert, remove) => {
        const changed = state.slice(0, at) + insert + state.slice(Math.min(state.length, at + remove));
        fc.pre(changed !== state);
        return !checkState(KEY, changed, { nowMs: NOW, sessionId: SESSION }).ok;
      }),
      { numRuns: 2000 },
    );
  });
});
