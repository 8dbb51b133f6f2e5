/**
 * NumberVerificationClient against the operator simulator over real sockets: verified, not
 * verified, an unknown line falling back, number discovery, operator failures and timeouts as
 * typed fallbacks (no hang), refused states, and no secret in any result.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { OperatorSimulator } from '@handset/operator-sim';
import { NumberVerificationClient, type NumberVerificationResult } from '../../src/mobile-auth/camara/number-verification.js';
import { browserLeg, entryFor, LINE, operator, SESSION, STATE_KEY, CLIENT_SECRET } from './support.js';

const REDIRECT = 'http://127.0.0.1:9/v1/operator/callback';
const OTHER_SESSION = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

describe('Number Verification client against the operator simulator', () => {
  let sim: OperatorSimulator;
  let client: NumberVerificationClient;
  /** A short bound, only for the cases where the operator never answers (answers get the default 5 s: the machine is shared). */
  let impatient: NumberVerificationClient;
  const seen: unknown[] = [];

  before(async () => {
    sim = await operator(REDIRECT);
    client = new NumberVerificationClient(entryFor(sim, REDIRECT), { stateKey: STATE_KEY });
    // Explicit endpoints (no discovery): whatever step runs out of time, the answer is a timeout.
    const explicit = { issuer: undefined, authorizationEndpoint: `${sim.url}/authorize`, tokenEndpoint: `${sim.url}/token`, timeoutMs: 700 };
    impatient = new NumberVerificationClient(entryFor(sim, REDIRECT, explicit), { stateKey: STATE_KEY });
  });
  after(async () => {
    await sim.close();
    // Nothing a result carries may hold the client secret.
    assert.ok(!JSON.stringify(seen).includes(CLIENT_SECRET));
  });

  /** start → browser → finish, for a session with `phoneNumber`, on `line`. */
  async function attempt(phoneNumber: string | null, line?: string, using = client): Promise<NumberVerificationResult> {
    const started = await using.start({ sessionId: SESSION, phoneNumber });
    assert.ok(started.ok, JSON.stringify(started));
    const query = await browserLeg(started.url, line);
    const result = await using.finish({ sessionId: SESSION, phoneNumber, query });
    seen.push(result);
    return result;
  }

  it('builds a prompt=none authorization URL for the registered redirect, without the number', async () => {
    const started = await client.start({ sessionId: SESSION, phoneNumber: LINE });
    assert.ok(started.ok);
    const url = new URL(started.url);
    assert.equal(`${url.origin}${url.pathname}`, `${sim.url}/authorize`);
    assert.equal(url.searchParams.get('response_type'), 'code');
    assert.equal(url.searchParams.get('prompt'), 'none');
    assert.equal(url.searchParams.get('redirect_uri'), REDIRECT);
    assert.equal(url.searchParams.get('scope'), 'openid number-verification:verify');
    assert.equal(url.searchParams.get('state'), started.state);
    assert.ok(url.searchParams.get('nonce'));
    assert.ok(!started.url.includes(LINE.slice(2)) && !started.url.includes(CLIENT_SECRET));
    assert.equal(client.sessionOf(started.state), SESSION);
  });

  it('verifies the number of the line the browser is on', async () => {
    assert.deepEqual(await attempt(LINE), { outcome: 'verified', phoneNumber: LINE, method: 'verify' });
  });

  it('says not_verified when the session has another number than the line', async () => {
    assert.deepEqual(await attempt('+12025550199'), { outcome: 'not_verified' });
  });

  it('falls back with login_required when the operator does not recognise the line', async () => {
    const result = await attempt(LINE, 'none');
    assert.deepEqual(result, { outcome: 'fallback', reason: 'login_required', detail: 'error=login_required' });
  });

  it('learns the number of a session that has none from device-phone-number', async () => {
    const started = await client.start({ sessionId: SESSION, phoneNumber: null });
    assert.ok(started.ok);
    assert.equal(new URL(started.url).searchParams.get('scope'), 'openid number-verification:device-phone-number:read');
    const query = await browserLeg(started.url, '+447700900123');
    assert.deepEqual(await client.finish({ sessionId: SESSION, phoneNumber: null, query }), {
      outcome: 'verified',
      phoneNumber: '+447700900123',
      method: 'device-phone-number',
    });
  });

  it('verifies with a hashed number and with client_secret_post when so configured', async () => {
    const other = new NumberVerificationClient(entryFor(sim, REDIRECT, { verifyWith: 'hashedPhoneNumber', authMethod: 'client_secret_post' }), { stateKey: STATE_KEY });
    const started = await other.start({ sessionId: SESSION, phoneNumber: LINE });
    assert.ok(started.ok);
    const query = await browserLeg(started.url);
    assert.deepEqual(await other.finish({ sessionId: SESSION, phoneNumber: LINE, query }), { outcome: 'verified', phoneNumber: LINE, method: 'verify' });
  });

  it('refuses a callback whose state is from another session, tampered or from another key', async () => {
    const started = await client.start({ sessionId: OTHER_SESSION, phoneNumber: LINE });
    assert.ok(started.ok);
    const query = await browserLeg(started.url);
    assert.deepEqual(await client.finish({ sessionId: SESSION, phoneNumber: LINE, query }), { outcome: 'refused', reason: 'other_session' });
    const tampered = new URLSearchParams(query);
    tampered.set('state', `${query.get('state')!.slice(0, -1)}${query.get('state')!.endsWith('A') ? 'B' : 'A'}`);
    assert.deepEqual(await client.finish({ sessionId: OTHER_SESSION, phoneNumber: LINE, query: tampered }), { outcome: 'refused', reason: 'tampered' });
    const foreign = new NumberVerificationClient(entryFor(sim, REDIRECT), { stateKey: 'another-key-another-key-another-key!' });
    assert.deepEqual(await foreign.finish({ sessionId: OTHER_SESSION, phoneNumber: LINE, query }), { outcome: 'refused', reason: 'tampered' });
    assert.equal(foreign.sessionOf(query.get('state')), null);
    // The refused callbacks never reached the token endpoint: the code is still good.
    assert.deepEqual(await client.finish({ sessionId: OTHER_SESSION, phoneNumber: LINE, query }), { outcome: 'verified', phoneNumber: LINE, method: 'verify' });
  });

  it('refuses an expired state', async () => {
    let now = Date.now();
    const timed = new NumberVerificationClient(entryFor(sim, REDIRECT), { stateKey: STATE_KEY, now: () => now });
    const started = await timed.start({ sessionId: SESSION, phoneNumber: LINE });
    assert.ok(started.ok);
    const query = await browserLeg(started.url);
    now += 300_000;
    assert.deepEqual(await timed.finish({ sessionId: SESSION, phoneNumber: LINE, query }), { outcome: 'refused', reason: 'expired' });
  });

  it('falls back when the same callback is replayed (the code is single-use)', async () => {
    const started = await client.start({ sessionId: SESSION, phoneNumber: LINE });
    assert.ok(started.ok);
    const query = await browserLeg(started.url);
    assert.equal((await client.finish({ sessionId: SESSION, phoneNumber: LINE, query })).outcome, 'verified');
    const replay = await client.finish({ sessionId: SESSION, phoneNumber: LINE, query });
    assert.deepEqual(replay, { outcome: 'fallback', reason: 'operator_error', detail: 'HTTP 400 invalid_grant' });
  });

  it('falls back on a callback without code, and on other operator errors', async () => {
    const started = await client.start({ sessionId: SESSION, phoneNumber: LINE });
    assert.ok(started.ok);
    const state = started.state;
    const cases: Array<[Record<string, string>, NumberVerificationResult]> = [
      [{ state }, { outcome: 'fallback', reason: 'missing_code', detail: 'no code in the callback' }],
      [{ state, error: 'access_denied' }, { outcome: 'fallback', reason: 'access_denied', detail: 'error=access_denied' }],
      [{ state, error: 'server_error', error_description: CLIENT_SECRET }, { outcome: 'fallback', reason: 'operator_error', detail: 'error=server_error' }],
      [{ state, error: '<script>' }, { outcome: 'fallback', reason: 'operator_error', detail: 'error' }],
      [{ state, code: 'made-up-code' }, { outcome: 'fallback', reason: 'operator_error', detail: 'HTTP 400 invalid_grant' }],
    ];
    for (const [query, expected] of cases) {
      const result = await client.finish({ sessionId: SESSION, phoneNumber: LINE, query: new URLSearchParams(query) });
      seen.push(result);
      assert.deepEqual(result, expected, JSON.stringify(query));
    }
  });

  it('falls back on operator outages, malformed answers and timeouts, without hanging', async () => {
    const cases: Array<[Parameters<OperatorSimulator['fail']>, string, string]> = [
      [['token', { status: 503 }], 'operator_unavailable', 'HTTP 503 server_error'],
      [['token', { status: 429 }], 'operator_unavailable', 'HTTP 429 slow_down'],
      [['token', { status: 401 }], 'operator_error', 'HTTP 401 server_error'],
      [['token', 'malformed'], 'malformed_answer', 'malformed answer (HTTP 200)'],
      [['token', 'timeout'], 'timeout', 'timeout'],
      [['verify', { status: 500 }], 'operator_unavailable', 'HTTP 500 INTERNAL'],
      [['verify', 'malformed'], 'malformed_answer', 'malformed answer (HTTP 200)'],
      [['verify', 'timeout'], 'timeout', 'timeout'],
    ];
    for (const [[endpoint, fault], reason, detail] of cases) {
      sim.fail(endpoint, fault);
      try {
        const using = fault === 'timeout' ? impatient : client;
        assert.deepEqual(await attempt(LINE, undefined, using), { outcome: 'fallback', reason, detail }, `${endpoint} ${JSON.stringify(fault)}`);
      } finally {
        sim.fail(endpoint, null);
      }
    }
  });

  it('falls back at start when discovery fails, and recovers once it answers', async () => {
    // 3 s: long enough for an answer on a loaded machine, short for the held discovery request.
    const fresh = new NumberVerificationClient(entryFor(sim, REDIRECT, { timeoutMs: 3000 }), { stateKey: STATE_KEY });
    for (const [fault, reason] of [[{ status: 502 }, 'operator_unavailable'], ['timeout', 'timeout'], ['malformed', 'malformed_answer']] as const) {
      sim.fail('discovery', fault);
      const started = await fresh.start({ sessionId: SESSION, phoneNumber: LINE });
      assert.equal(started.ok, false);
      assert.equal(!started.ok && started.result.reason, reason);
    }
    sim.fail('discovery', null);
    assert.equal((await fresh.start({ sessionId: SESSION, phoneNumber: LINE })).ok, true);
  });

  it('falls back when the operator cannot be reached at all', async () => {
    const dead = await operator(REDIRECT);
    const entry = entryFor(dead, REDIRECT);
    await dead.close();
    const unreachable = new NumberVerificationClient(entry, { stateKey: STATE_KEY });
    const started = await unreachable.start({ sessionId: SESSION, phoneNumber: LINE });
    assert.deepEqual(started, { ok: false, result: { outcome: 'fallback', reason: 'operator_unavailable', detail: 'network error' } });
  });

  it('refuses a state key shorter than 32 bytes', () => {
    assert.throws(() => new NumberVerificationClient(entryFor(sim, REDIRECT), { stateKey: 'short' }), /at least 32 bytes/);
  });
});
