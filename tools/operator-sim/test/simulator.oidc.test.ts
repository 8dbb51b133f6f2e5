/**
 * The simulator's OpenID Connect side against the rules it must follow: discovery, prompt=none
 * error redirects, exact redirect URIs, client authentication, single-use codes, 300 s tokens.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { OperatorSimulator } from '../src/index.js';
import { api, authorizeBack, authorizeRaw, authParams, CLIENT, LINE, manualClock, REDIRECT, simulator, tokenRequest } from './helpers.js';

describe('operator simulator: OIDC', () => {
  const clock = manualClock();
  let sim: OperatorSimulator;
  before(async () => {
    sim = await simulator({ now: clock.now });
  });
  after(() => sim.close());

  it('publishes its endpoints in the discovery document', async () => {
    const res = await fetch(`${sim.url}/.well-known/openid-configuration`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as Record<string, unknown>;
    assert.equal(doc.issuer, sim.url);
    assert.equal(doc.authorization_endpoint, `${sim.url}/authorize`);
    assert.equal(doc.token_endpoint, `${sim.url}/token`);
    assert.deepEqual(doc.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post']);
  });

  it('redirects back with a code and the state for a recognised line', async () => {
    const back = await authorizeBack(sim, authParams({ state: 'abc' }));
    assert.equal(back.get('state'), 'abc');
    assert.match(back.get('code') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.equal(back.get('error'), null);
  });

  it('answers login_required with the state when prompt=none meets an unknown line', async () => {
    const back = await authorizeBack(sim, authParams({ state: 'xyz' }), { 'x-operator-sim-line': 'none' });
    assert.equal(back.get('error'), 'login_required');
    assert.equal(back.get('state'), 'xyz');
    assert.equal(back.get('code'), null);
  });

  it('answers access_denied for an unknown line without prompt=none', async () => {
    const back = await authorizeBack(sim, authParams({ prompt: null }), { 'x-operator-sim-line': 'none' });
    assert.equal(back.get('error'), 'access_denied');
  });

  it('recognises the line from the cookie, the address map and the default, in that order', async () => {
    const other = '+12025550199';
    sim.setLine('127.0.0.1', '+12025550111');
    try {
      for (const [headers, expected] of [
        [{ cookie: `operator_sim_line=${encodeURIComponent(other)}` }, other],
        [{}, '+12025550111'],
      ] as const) {
        const back = await authorizeBack(sim, authParams({ scope: 'openid number-verification:device-phone-number:read' }), headers);
        const token = await tokenRequest(sim, { grant_type: 'authorization_code', code: back.get('code')!, redirect_uri: REDIRECT });
        const { access_token } = (await token.json()) as { access_token: string };
        const res = await api(sim, '/number-verification/v2/device-phone-number', access_token);
        assert.deepEqual(await res.json(), { devicePhoneNumber: expected });
      }
    } finally {
      sim.setLine('127.0.0.1', null);
    }
  });

  it('refuses an unregistered redirect_uri or client without redirecting', async () => {
    for (const params of [
      authParams({ redirect_uri: 'http://127.0.0.1:9/cb/other' }),
      authParams({ redirect_uri: 'http://evil.example/cb' }),
      authParams({ redirect_uri: null }),
      authParams({ client_id: 'someone-else' }),
    ]) {
      const res = await authorizeRaw(sim, params);
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('location'), null);
    }
  });

  it('redirects invalid requests back with the OAuth2 error', async () => {
    const cases: Array<[Record<string, string | null>, string]> = [
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ scope: 'number-verification:verify' }, 'invalid_scope'],
      [{ scope: 'openid' }, 'invalid_scope'],
      [{ scope: 'openid email' }, 'invalid_scope'],
      [{ prompt: 'login' }, 'invalid_request'],
      [{ login_hint: 'alice@example.com' }, 'invalid_request'],
    ];
    for (const [overrides, error] of cases) {
      const back = await authorizeBack(sim, authParams(overrides));
      assert.equal(back.get('error'), error, JSON.stringify(overrides));
      assert.equal(back.get('code'), null);
    }
  });

  it('accepts a login_hint as +E164 or tel:+E164', async () => {
    for (const hint of [LINE, `tel:${LINE}`]) {
      const back = await authorizeBack(sim, authParams({ login_hint: hint }));
      assert.ok(back.get('code'));
    }
  });

  it('exchanges a code once, with client_secret_basic or client_secret_post', async () => {
    for (const auth of ['basic', 'post'] as const) {
      const back = await authorizeBack(sim, authParams());
      const form = { grant_type: 'authorization_code', code: back.get('code')!, redirect_uri: REDIRECT };
      const first = await tokenRequest(sim, form, auth);
      assert.equal(first.status, 200);
      const json = (await first.json()) as Record<string, unknown>;
      assert.equal(json.token_type, 'Bearer');
      assert.equal(json.expires_in, 300);
      assert.equal(json.refresh_token, undefined);
      assert.equal(typeof json.id_token, 'string');
      const second = await tokenRequest(sim, form, auth);
      assert.equal(second.status, 400);
      assert.equal(((await second.json()) as { error: string }).error, 'invalid_grant');
      // Reusing the code revoked the token it gave.
      const revoked = await api(sim, '/number-verification/v2/verify', json.access_token as string, { phoneNumber: LINE });
      assert.equal(revoked.status, 401);
    }
  });

  it('refuses a code with another redirect_uri, an unknown code and an expired code with invalid_grant', async () => {
    const mismatched = await authorizeBack(sim, authParams());
    const expired = await authorizeBack(sim, authParams());
    const forms = [
      { grant_type: 'authorization_code', code: mismatched.get('code')!, redirect_uri: 'http://127.0.0.1:9/other' },
      { grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: REDIRECT },
    ];
    for (const form of forms) {
      const res = await tokenRequest(sim, form);
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_grant');
    }
    clock.advance(61_000);
    const res = await tokenRequest(sim, { grant_type: 'authorization_code', code: expired.get('code')!, redirect_uri: REDIRECT });
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_grant');
  });

  it('refuses bad client authentication with 401 invalid_client', async () => {
    const back = await authorizeBack(sim, authParams());
    const form = { grant_type: 'authorization_code', code: back.get('code')!, redirect_uri: REDIRECT };
    for (const [auth, secret] of [['basic', 'wrong'], ['post', 'wrong'], ['none', ''], ['basic', `${CLIENT.clientSecret}x`]] as const) {
      const res = await tokenRequest(sim, form, auth, secret);
      assert.equal(res.status, 401, `${auth}/${secret}`);
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
    }
    // The refused attempts did not spend the code.
    assert.equal((await tokenRequest(sim, form)).status, 200);
  });

  it('refuses two client authentication methods at once, a non-form body and an unknown grant type', async () => {
    const both = await fetch(`${sim.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'sim-swap:check', client_secret: CLIENT.clientSecret }),
    });
    assert.equal(((await both.json()) as { error: string }).error, 'invalid_request');
    const json = await fetch(`${sim.url}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(((await json.json()) as { error: string }).error, 'invalid_request');
    const grant = await tokenRequest(sim, { grant_type: 'password' });
    assert.equal(((await grant.json()) as { error: string }).error, 'unsupported_grant_type');
    const scope = await tokenRequest(sim, { grant_type: 'client_credentials', scope: 'number-verification:verify' });
    assert.equal(((await scope.json()) as { error: string }).error, 'invalid_scope');
  });

  it('makes the code-flow token single-use and every token expire after 300 s', async () => {
    const back = await authorizeBack(sim, authParams());
    const res = await tokenRequest(sim, { grant_type: 'authorization_code', code: back.get('code')!, redirect_uri: REDIRECT });
    const { access_token } = (await res.json()) as { access_token: string };
    assert.equal((await api(sim, '/number-verification/v2/verify', access_token, { phoneNumber: LINE })).status, 200);
    const again = await api(sim, '/number-verification/v2/verify', access_token, { phoneNumber: LINE });
    assert.equal(again.status, 401);
    assert.equal(((await again.json()) as { code: string }).code, 'UNAUTHENTICATED');

    const cc = await tokenRequest(sim, { grant_type: 'client_credentials', scope: 'sim-swap:check' });
    const ccToken = ((await cc.json()) as { access_token: string }).access_token;
    sim.setSimChange(LINE, null);
    assert.equal((await api(sim, '/sim-swap/v2/check', ccToken, { phoneNumber: LINE })).status, 200);
    assert.equal((await api(sim, '/sim-swap/v2/check', ccToken, { phoneNumber: LINE })).status, 200, 'client-credentials tokens are reusable');
    clock.advance(299_000);
    assert.equal((await api(sim, '/sim-swap/v2/check', ccToken, { phoneNumber: LINE })).status, 200);
    clock.advance(1_000);
    assert.equal((await api(sim, '/sim-swap/v2/check', ccToken, { phoneNumber: LINE })).status, 401);
  });
});
