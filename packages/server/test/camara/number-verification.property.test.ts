/**
 * Property: whatever is changed in the callback (state, code, added error, dropped parameters, a
 * state from another session) or in the authorization request's redirect_uri or state, a
 * Number Verification attempt never comes back verified. Against the operator simulator.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { OperatorSimulator } from '@handset/operator-sim';
import { NumberVerificationClient } from '../../src/mobile-auth/camara/number-verification.js';
import { entryFor, LINE, operator, SESSION, STATE_KEY } from './support.js';

const REDIRECT = 'http://127.0.0.1:9/v1/operator/callback';
const OTHER_SESSION = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

/** A string edit: at a position, remove some characters and insert others. */
const edit = fc.record({ at: fc.nat({ max: 200 }), insert: fc.string({ maxLength: 4 }), remove: fc.nat({ max: 4 }) });
type Edit = { at: number; insert: string; remove: number };
function apply(s: string, e: Edit): string {
  const at = Math.min(e.at, s.length);
  return s.slice(0, at) + e.insert + s.slice(Math.min(s.length, at + e.remove));
}

const tampering = fc.oneof(
  fc.record({ kind: fc.constant('state' as const), edit }),
  fc.record({ kind: fc.constant('code' as const), edit }),
  fc.record({ kind: fc.constant('url-state' as const), edit }),
  fc.record({ kind: fc.constant('redirect' as const), edit }),
  fc.record({ kind: fc.constant('error' as const), error: fc.string({ minLength: 1, maxLength: 30 }) }),
  fc.record({ kind: fc.constantFrom('drop-code' as const, 'drop-state' as const, 'foreign-state' as const) }),
);

describe('Number Verification under tampering (property)', () => {
  let sim: OperatorSimulator;
  let client: NumberVerificationClient;
  before(async () => {
    sim = await operator(REDIRECT);
    client = new NumberVerificationClient(entryFor(sim, REDIRECT), { stateKey: STATE_KEY });
  });
  after(() => sim.close());

  it('verifies the untouched flow (the control)', async () => {
    const started = await client.start({ sessionId: SESSION, phoneNumber: LINE });
    assert.ok(started.ok);
    const back = new URL((await fetch(started.url, { redirect: 'manual' })).headers.get('location')!);
    assert.equal((await client.finish({ sessionId: SESSION, phoneNumber: LINE, query: back.searchParams })).outcome, 'verified');
  });

  it('never verifies a tampered attempt', async () => {
    await fc.assert(
      fc.asyncProperty(tampering, async (t) => {
        const started = await client.start({ sessionId: SESSION, phoneNumber: LINE });
        assert.ok(started.ok);
        const url = new URL(started.url);
        if (t.kind === 'url-state' || t.kind === 'redirect') {
          const name = t.kind === 'url-state' ? 'state' : 'redirect_uri';
          const changed = apply(url.searchParams.get(name)!, t.edit);
          fc.pre(changed !== url.searchParams.get(name));
          url.searchParams.set(name, changed);
        }
        const res = await fetch(url, { redirect: 'manual' });
        const location = res.headers.get('location');
        if (res.status !== 302 || location === null) return; // the operator refused: the browser never comes back
        const back = new URL(location);
        if (`${back.origin}${back.pathname}` !== REDIRECT) return; // sent elsewhere: not Handset's callback
        const query = new URLSearchParams(back.search);
        switch (t.kind) {
          case 'state':
          case 'code': {
            const changed = apply(query.get(t.kind) ?? '', t.edit);
            fc.pre(changed !== query.get(t.kind));
            query.set(t.kind, changed);
            break;
          }
          case 'error':
            query.set('error', t.error);
            break;
          case 'drop-code':
            query.delete('code');
            break;
          case 'drop-state':
            query.delete('state');
            break;
          case 'foreign-state': {
            const other = await client.start({ sessionId: OTHER_SESSION, phoneNumber: LINE });
            assert.ok(other.ok);
            query.set('state', other.state);
            break;
          }
          default:
            break;
        }
        const result = await client.finish({ sessionId: SESSION, phoneNumber: LINE, query });
        assert.notEqual(result.outcome, 'verified', `${JSON.stringify(t)} → ${JSON.stringify(result)}`);
      }),
      { numRuns: 120 },
    );
  });
});
