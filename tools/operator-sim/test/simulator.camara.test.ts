/**
 * The simulator's CAMARA APIs: Number Verification and SIM Swap answers, their error shapes,
 * identifier rules, and the injected failures tests rely on.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { OperatorSimulator } from '../src/index.js';
import { optionsFromArgs } from '../src/cli.js';
import { api, authParams, authorizeBack, codeFlowToken, LINE, manualClock, REDIRECT, simulator, tokenRequest } from './helpers.js';

const SWAPPED = '+12025550177';
const UNKNOWN = '+12025550100';

async function ccToken(sim: OperatorSimulator, scope = 'sim-swap:check sim-swap:retrieve-date'): Promise<string> {
  const res = await tokenRequest(sim, { grant_type: 'client_credentials', scope });
  return ((await res.json()) as { access_token: string }).access_token;
}

describe('operator simulator: CAMARA APIs', () => {
  const clock = manualClock(Date.parse('2026-12-01T12:00:00Z'));
  let sim: OperatorSimulator;
  before(async () => {
    sim = await simulator({ now: clock.now, simChanges: { [SWAPPED]: '2026-12-01T02:00:00Z', [LINE]: null } });
  });
  after(() => sim.close());

  it('verifies the line by plain and hashed number, and says false for another number', async () => {
    const hash = createHash('sha256').update(LINE).digest('hex');
    for (const [body, expected] of [
      [{ phoneNumber: LINE }, true],
      [{ hashedPhoneNumber: hash }, true],
      [{ hashedPhoneNumber: hash.toUpperCase() }, true],
      [{ phoneNumber: '+12025550155' }, false],
    ] as const) {
      const res = await api(sim, '/number-verification/v2/verify', await codeFlowToken(sim), body);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { devicePhoneNumberVerified: expected });
    }
  });

  it('refuses a verify body without exactly one valid identifier with 400 INVALID_ARGUMENT', async () => {
    const bodies = [{}, { phoneNumber: LINE, hashedPhoneNumber: 'a'.repeat(64) }, { phoneNumber: '2025550154' }, { hashedPhoneNumber: 'xyz' }, { phoneNumber: 12025550154 }, []];
    for (const body of bodies) {
      const res = await api(sim, '/number-verification/v2/verify', await codeFlowToken(sim), body);
      assert.equal(res.status, 400, JSON.stringify(body));
      const answer = (await res.json()) as { status: number; code: string; message: string };
      assert.equal(answer.status, 400);
      assert.equal(answer.code, 'INVALID_ARGUMENT');
      assert.ok(answer.message.length > 0);
    }
  });

  it('answers 401 UNAUTHENTICATED without a valid token and 403 PERMISSION_DENIED without the scope', async () => {
    for (const token of [null, 'forged']) {
      const res = await api(sim, '/number-verification/v2/verify', token, { phoneNumber: LINE });
      assert.equal(res.status, 401);
      const body = (await res.json()) as { status: number; code: string };
      assert.equal(body.status, 401);
      assert.equal(body.code, 'UNAUTHENTICATED');
    }
    const readOnly = await codeFlowToken(sim, 'openid number-verification:device-phone-number:read');
    const res = await api(sim, '/number-verification/v2/verify', readOnly, { phoneNumber: LINE });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { code: string }).code, 'PERMISSION_DENIED');
    const cc = await api(sim, '/number-verification/v2/verify', await ccToken(sim), { phoneNumber: LINE });
    assert.equal(cc.status, 403);
  });

  it('tells the device phone number and echoes x-correlator', async () => {
    const token = await codeFlowToken(sim, 'openid number-verification:device-phone-number:read');
    const res = await fetch(`${sim.url}/number-verification/v2/device-phone-number`, { headers: { authorization: `Bearer ${token}`, 'x-correlator': 'c-123' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-correlator'), 'c-123');
    assert.deepEqual(await res.json(), { devicePhoneNumber: LINE });
  });

  it('checks a SIM swap within maxAge and retrieves its date', async () => {
    const token = await ccToken(sim);
    const check = async (phoneNumber: string, maxAge?: number): Promise<unknown> =>
      (await api(sim, '/sim-swap/v2/check', token, { phoneNumber, ...(maxAge === undefined ? {} : { maxAge }) })).json();
    assert.deepEqual(await check(SWAPPED, 24), { swapped: true });
    assert.deepEqual(await check(SWAPPED, 10), { swapped: true });
    assert.deepEqual(await check(SWAPPED, 9), { swapped: false });
    assert.deepEqual(await check(SWAPPED), { swapped: true }, 'default maxAge 240 h');
    assert.deepEqual(await check(LINE, 2400), { swapped: false });
    const date = await api(sim, '/sim-swap/v2/retrieve-date', token, { phoneNumber: SWAPPED });
    assert.deepEqual(await date.json(), { latestSimChange: '2026-12-01T02:00:00Z' });
    const never = await api(sim, '/sim-swap/v2/retrieve-date', token, { phoneNumber: LINE });
    assert.deepEqual(await never.json(), { latestSimChange: null });
  });

  it('applies the SIM Swap identifier and range rules', async () => {
    const token = await ccToken(sim);
    const cases: Array<[string, string, unknown, number, string]> = [
      ['check', token, { phoneNumber: UNKNOWN }, 404, 'IDENTIFIER_NOT_FOUND'],
      ['check', token, {}, 422, 'MISSING_IDENTIFIER'],
      ['check', token, { phoneNumber: SWAPPED, maxAge: 0 }, 400, 'OUT_OF_RANGE'],
      ['check', token, { phoneNumber: SWAPPED, maxAge: 2401 }, 400, 'OUT_OF_RANGE'],
      ['check', token, { phoneNumber: SWAPPED, maxAge: '24' }, 400, 'INVALID_ARGUMENT'],
      ['check', token, { phoneNumber: '02025550154' }, 400, 'INVALID_ARGUMENT'],
      ['retrieve-date', token, { phoneNumber: UNKNOWN }, 404, 'IDENTIFIER_NOT_FOUND'],
      ['retrieve-date', await ccToken(sim, 'sim-swap:check'), { phoneNumber: SWAPPED }, 403, 'PERMISSION_DENIED'],
      ['check', await codeFlowToken(sim, 'openid sim-swap:check'), { phoneNumber: LINE }, 422, 'UNNECESSARY_IDENTIFIER'],
    ];
    for (const [path, t, body, status, code] of cases) {
      const res = await api(sim, `/sim-swap/v2/${path}`, t, body);
      assert.equal(res.status, status, `${path} ${JSON.stringify(body)}`);
      assert.equal(((await res.json()) as { code: string }).code, code);
    }
    // A three-legged token identifies the subscriber by its line.
    const res = await api(sim, '/sim-swap/v2/check', await codeFlowToken(sim, 'openid sim-swap:check'), { maxAge: 24 });
    assert.deepEqual(await res.json(), { swapped: false });
  });

  it('reports the monitored period and hides older changes', async () => {
    const old = await simulator({ now: clock.now, monitoredPeriodDays: 7, simChanges: { [SWAPPED]: '2026-10-01T00:00:00Z' } });
    try {
      const res = await api(old, '/sim-swap/v2/retrieve-date', await ccToken(old), { phoneNumber: SWAPPED });
      assert.deepEqual(await res.json(), { latestSimChange: null, monitoredPeriod: 7 });
    } finally {
      await old.close();
    }
  });

  it('answers unknown paths and wrong methods in the CAMARA error shape', async () => {
    const missing = await fetch(`${sim.url}/number-verification/v1/verify`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { code: string }).code, 'NOT_FOUND');
    const method = await fetch(`${sim.url}/sim-swap/v2/check`);
    assert.equal(method.status, 405);
    assert.equal(method.headers.get('allow'), 'POST');
  });

  it('injects 5xx, malformed answers and held requests per endpoint, until cleared', async () => {
    sim.fail('verify', { status: 503 });
    const unavailable = await api(sim, '/number-verification/v2/verify', await codeFlowToken(sim), { phoneNumber: LINE });
    assert.equal(unavailable.status, 503);
    assert.deepEqual(await unavailable.json(), { status: 503, code: 'UNAVAILABLE', message: 'injected failure' });
    sim.fail('verify', 'malformed');
    const malformed = await api(sim, '/number-verification/v2/verify', await codeFlowToken(sim), { phoneNumber: LINE });
    await assert.rejects(malformed.json(), SyntaxError);
    sim.fail('verify', null);
    assert.equal((await api(sim, '/number-verification/v2/verify', await codeFlowToken(sim), { phoneNumber: LINE })).status, 200);

    sim.fail('token', { status: 500 });
    const back = await authorizeBack(sim, authParams());
    const token = await tokenRequest(sim, { grant_type: 'authorization_code', code: back.get('code')!, redirect_uri: REDIRECT });
    assert.equal(token.status, 500);
    assert.equal(((await token.json()) as { error: string }).error, 'server_error');
    sim.fail('token', null);

    sim.fail('check', 'timeout');
    const held = api(sim, '/sim-swap/v2/check', await ccToken(sim), { phoneNumber: LINE });
    await assert.rejects(
      Promise.race([held, new Promise((_, reject) => setTimeout(() => reject(new Error('still held')), 300))]),
      /still held/,
    );
    sim.fail('check', null);
    assert.equal(sim.hits('check') >= 1, true);
    // close() (in after) drops the held request; its fetch rejects then.
    held.catch(() => {});
  });
});

describe('handset-operator-sim arguments', () => {
  it('builds options from flags', () => {
    const options = optionsFromArgs(['--port', '7400', '--client-id', 'handset', '--client-secret', 's', '--redirect-uri', 'http://127.0.0.1:8080/cb', '--line', LINE, '--swapped', `${SWAPPED}@2026-11-30T10:00:00Z`]);
    assert.equal(options.port, 7400);
    assert.deepEqual(options.clients, [{ clientId: 'handset', clientSecret: 's', redirectUris: ['http://127.0.0.1:8080/cb'] }]);
    assert.deepEqual(options.lines, { default: LINE });
    assert.deepEqual(options.simChanges, { [SWAPPED]: '2026-11-30T10:00:00Z' });
  });

  it('refuses incomplete or malformed flags', () => {
    assert.throws(() => optionsFromArgs([]), /no client registered/);
    assert.throws(() => optionsFromArgs(['--client-id', 'x']), /needs --client-secret/);
    assert.throws(() => optionsFromArgs(['--port', 'x', '--client-id', 'x', '--client-secret', 's', '--redirect-uri', 'u']), /--port/);
    assert.throws(() => optionsFromArgs(['--swapped', 'nope', '--client-id', 'x', '--client-secret', 's', '--redirect-uri', 'u']), /--swapped/);
    assert.throws(() => optionsFromArgs(['--bogus']), /Unknown option/);
  });
});
