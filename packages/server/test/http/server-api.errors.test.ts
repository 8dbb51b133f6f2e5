/**
 * The server API error table: every malformed or unauthorised call gets its documented status
 * and `{code, message}`, never a 500 and never `null`. Run over a listening socket and through
 * `inject()`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/ports/clock.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { assertErrorBody, assertNoNull } from '../support/assertions.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';

const PHONE = '+12025550131';

interface Case {
  name: string;
  path: string;
  body: unknown;
  status: number;
  code: number;
  message?: RegExp;
}

const base = { possessionType: 'mobile', phoneNumber: '2025550131', clientRequestId: 'r' };
const cases: Case[] = [
  { name: 'unify without possessionType', path: '/v3/unify', body: { phoneNumber: PHONE, clientRequestId: 'r' }, status: 400, code: 8001, message: /field 'possessionType' is missing/ },
  { name: 'unify without clientRequestId', path: '/v3/unify', body: { possessionType: 'mobile', phoneNumber: PHONE }, status: 400, code: 8001, message: /'clientRequestId' is missing/ },
  { name: 'unify with an unknown possessionType', path: '/v3/unify', body: { ...base, possessionType: 'tablet' }, status: 400, code: 8001, message: /'possessionType'/ },
  { name: 'unify with an unknown proveId and no phone', path: '/v3/unify', body: { possessionType: 'mobile', clientRequestId: 'r', proveId: 'nope' }, status: 400, code: 8001, message: /'proveId' is unknown/ },
  { name: 'unify with letters that cannot be a phone', path: '/v3/unify', body: { ...base, phoneNumber: 'abcdefgh' }, status: 400, code: 8001, message: /'phoneNumber' is not a possible phone number/ },
  { name: 'unify with a forbidden character in phoneNumber', path: '/v3/unify', body: { ...base, phoneNumber: '202-555-0131' }, status: 400, code: 8001, message: /'phoneNumber' contains characters/ },
  { name: 'unify with a too-short number', path: '/v3/unify', body: { ...base, phoneNumber: '123' }, status: 400, code: 8001 },
  { name: 'unify with phoneNumber as a number', path: '/v3/unify', body: { ...base, phoneNumber: 2025550131 }, status: 400, code: 8001, message: /'phoneNumber' is invalid/ },
  { name: 'unify with allowOTPRetry as a string', path: '/v3/unify', body: { ...base, allowOTPRetry: 'true' }, status: 400, code: 8001, message: /'allowOTPRetry'/ },
  { name: 'unify with a 161-character smsMessage', path: '/v3/unify', body: { ...base, smsMessage: `#### ${'x'.repeat(156)}` }, status: 400, code: 8001, message: /'smsMessage' is too long/ },
  { name: 'unify with an OTP template without placeholder', path: '/v3/unify', body: { ...base, smsMessage: 'no code here' }, status: 400, code: 8001, message: /'smsMessage'/ },
  { name: 'unify with a 7-# placeholder', path: '/v3/unify', body: { ...base, smsMessage: 'code #######' }, status: 400, code: 8001 },
  { name: 'desktop unify without finalTargetUrl', path: '/v3/unify', body: { ...base, possessionType: 'desktop' }, status: 400, code: 8001, message: /'finalTargetUrl' is missing/ },
  { name: 'desktop unify with a 129-character finalTargetUrl', path: '/v3/unify', body: { ...base, possessionType: 'desktop', finalTargetUrl: `https://a.example/${'x'.repeat(111)}` }, status: 400, code: 8001, message: /'finalTargetUrl' is too long/ },
  { name: 'desktop unify with & in finalTargetUrl', path: '/v3/unify', body: { ...base, possessionType: 'desktop', finalTargetUrl: 'https://a.example/?a=1&b=2' }, status: 400, code: 8001, message: /'finalTargetUrl' contains characters/ },
  { name: 'desktop unify with a relative finalTargetUrl', path: '/v3/unify', body: { ...base, possessionType: 'desktop', finalTargetUrl: '/done' }, status: 400, code: 8001, message: /absolute/ },
  { name: 'desktop unify with a link template without ####', path: '/v3/unify', body: { ...base, possessionType: 'desktop', finalTargetUrl: 'https://a.example/done', smsMessage: 'click' }, status: 400, code: 8001 },
  { name: 'unify with a bad emailAddress', path: '/v3/unify', body: { ...base, emailAddress: 'a b@c' }, status: 400, code: 8001, message: /'emailAddress'/ },
  { name: 'unify with a bad ipAddress', path: '/v3/unify', body: { ...base, ipAddress: '1.2.3.4/24' }, status: 400, code: 8001, message: /'ipAddress'/ },
  { name: 'status without correlationId', path: '/v3/unify-status', body: {}, status: 400, code: 8001, message: /'correlationId' is missing/ },
  { name: 'status with an empty correlationId', path: '/v3/unify-status', body: { correlationId: '' }, status: 400, code: 8001 },
  { name: 'status with an unknown correlationId', path: '/v3/unify-status', body: { correlationId: 'c0ffee00-0000-4000-8000-000000000000' }, status: 400, code: 8008 },
  { name: 'bind without phoneNumber', path: '/v3/unify-bind', body: { correlationId: 'x' }, status: 400, code: 8001, message: /'phoneNumber' is missing/ },
  { name: 'bind without correlationId', path: '/v3/unify-bind', body: { phoneNumber: PHONE }, status: 400, code: 8001, message: /'correlationId' is missing/ },
  { name: 'bind with an unknown correlationId', path: '/v3/unify-bind', body: { correlationId: 'nope', phoneNumber: PHONE }, status: 400, code: 8008 },
  { name: 'revoke without deviceId', path: '/v3/device/revoke', body: { clientRequestId: 'r' }, status: 400, code: 8001, message: /'deviceId' is missing/ },
  { name: 'revoke without clientRequestId', path: '/v3/device/revoke', body: { deviceId: 'd' }, status: 400, code: 8001 },
  { name: 'revoke of an unknown device', path: '/v3/device/revoke', body: { clientRequestId: 'r', deviceId: 'nope' }, status: 404, code: 8011 },
  { name: 'a JSON array body', path: '/v3/unify', body: '[1,2]', status: 400, code: 8001, message: /JSON object/ },
  { name: 'a JSON string body', path: '/v3/unify-status', body: '"x"', status: 400, code: 8001 },
  { name: 'a body that is not JSON', path: '/v3/unify', body: '{"possessionType":', status: 400, code: 8001, message: /not valid JSON/ },
  { name: 'an empty body', path: '/v3/unify', body: '', status: 400, code: 8001, message: /empty/ },
  { name: 'a body of 4 KB', path: '/v3/unify', body: JSON.stringify({ ...base, pad: 'x'.repeat(4096) }), status: 400, code: 8001, message: /smaller than 4 KB/ },
];

describe('server API error table', () => {
  let server: TestServer;
  let backend: Backend;
  let token: string;
  before(async () => {
    server = await startTestServer();
    backend = Backend.of(server);
    token = await backend.token();
  });
  after(() => server.close());

  for (const c of cases) {
    it(`${c.name} → ${c.status} ${c.code} (socket and inject)`, async () => {
      const text = typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const response = await fetch(server.url + c.path, { method: 'POST', headers, body: text });
      assert.equal(response.status, c.status);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      const body = await response.json();
      assertErrorBody(body, c.code, c.message);
      const injected = await server.server.app.inject({ method: 'POST', url: c.path, headers, payload: text });
      assert.equal(injected.statusCode, c.status);
      assert.deepEqual(injected.json(), body);
    });
  }

  it('a body just under 4 KB is accepted', async () => {
    const body = JSON.stringify({ ...base, pad: '' });
    const padded = JSON.stringify({ ...base, pad: 'x'.repeat(4095 - body.length) });
    assert.equal(Buffer.byteLength(padded), 4095);
    const reply = await fetch(`${server.url}/v3/unify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: padded,
    });
    assert.equal(reply.status, 200);
    assertNoNull(await reply.json());
  });

  it('unknown fields are accepted and ignored, and legacy phoneNumber on status is ignored', async () => {
    const started = await backend.post<{ correlationId: string }>('/v3/unify', { ...base, mobileAuthEnabled: true, somethingNew: 1, clientRequestId: '' });
    assert.equal(started.status, 200);
    const status = await backend.post('/v3/unify-status', { correlationId: started.body.correlationId, phoneNumber: PHONE });
    assert.equal(status.status, 200);
  });

  it('a wrong Content-Type is a 400 8001', async () => {
    const response = await fetch(`${server.url}/v3/unify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
      body: 'hello',
    });
    assert.equal(response.status, 400);
    assertErrorBody(await response.json(), 8001, /Content-Type/);
  });

  it('an unknown path is a JSON 404', async () => {
    const response = await fetch(`${server.url}/v3/nothing-here`, { method: 'POST' });
    assert.equal(response.status, 404);
    assertErrorBody(await response.json(), 8011);
  });

  describe('bearer tokens', () => {
    for (const [name, header] of [
      ['no Authorization header', undefined],
      ['a Basic header', 'Basic abc'],
      ['an unknown token', 'Bearer hs_at_unknown'],
      ['a token of another format', 'Bearer eyJhbGciOi.x.y'],
    ] as const) {
      it(`${name} → 401 8002, checked before the body`, async () => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (header) headers.authorization = header;
        const response = await fetch(`${server.url}/v3/unify`, { method: 'POST', headers, body: '{not json' });
        assert.equal(response.status, 401);
        assertErrorBody(await response.json(), 8002);
      });
    }
  });

  describe('/token', () => {
    const form = (fields: Record<string, string>) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });
    it('a wrong secret → 401 8002 without saying which part was wrong', async () => {
      const response = await fetch(`${server.url}/token`, form({ grant_type: 'client_credentials', client_id: server.clientId, client_secret: 'wrong' }));
      assert.equal(response.status, 401);
      assertErrorBody(await response.json(), 8002, /^invalid client credentials$/);
    });
    it('an unknown client → the same 401', async () => {
      const response = await fetch(`${server.url}/token`, form({ grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'x' }));
      assert.equal(response.status, 401);
      assertErrorBody(await response.json(), 8002, /^invalid client credentials$/);
    });
    it('another grant type → 400 8001', async () => {
      const response = await fetch(`${server.url}/token`, form({ grant_type: 'password', client_id: server.clientId, client_secret: server.clientSecret }));
      assert.equal(response.status, 400);
      assertErrorBody(await response.json(), 8001, /grant_type/);
    });
    it('a missing client_secret → 400 8001 naming it', async () => {
      const response = await fetch(`${server.url}/token`, form({ grant_type: 'client_credentials', client_id: server.clientId }));
      assert.equal(response.status, 400);
      assertErrorBody(await response.json(), 8001, /'client_secret' is missing/);
    });
    it('the token reply has exactly access_token, token_type Bearer and expires_in 3600', async () => {
      // A client of its own: a token already issued to a client is handed out again with what is left of it.
      const fresh = await server.createClient('fresh-token');
      const response = await fetch(`${server.url}/token`, form({ grant_type: 'client_credentials', client_id: fresh.clientId, client_secret: fresh.clientSecret }));
      assert.equal(response.status, 200);
      const body = (await response.json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'token_type']);
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 3600);
    });
  });
});

describe('expiry and tenant isolation (injected clock)', () => {
  let server: TestServer;
  let clock: ManualClock;
  let backend: Backend;
  before(async () => {
    clock = new ManualClock(Date.parse('2026-11-25T12:00:00Z'));
    server = await startTestServer({ overrides: { clock } });
    backend = Backend.of(server);
  });
  after(() => server.close());

  it("another client's correlationId is unknown (8008), for status and bind alike", async () => {
    const started = await backend.unify({ possessionType: 'none', phoneNumber: PHONE });
    const other = await server.createClient('other tenant');
    const intruder = new Backend(server.url, other.clientId, other.clientSecret);
    const status = await intruder.post('/v3/unify-status', { correlationId: started.correlationId });
    assert.equal(status.status, 400);
    assertErrorBody(status.body, 8008);
    const bind = await intruder.post('/v3/unify-bind', { correlationId: started.correlationId, phoneNumber: PHONE });
    assert.equal(bind.status, 400);
    assertErrorBody(bind.body, 8008);
  });

  it('a session not finished in 15 minutes reads "false"; its steps are refused; after retention it is gone', async () => {
    const started = await backend.unify({ possessionType: 'mobile', phoneNumber: PHONE });
    assert.equal((await backend.status(started.correlationId)).success, 'pending');
    clock.advance(15 * 60 * 1000);
    const status = await backend.status(started.correlationId);
    assert.equal(status.success, 'false');
    assertNoNull(status);
    const client = new ProtocolClient(started.authToken!);
    const late = await client.otpStart();
    assert.equal(late.status, 401, 'the authToken expired with the session');
    assertErrorBody(late.body, 8002, /expired/);
    clock.advance(24 * 60 * 60 * 1000 - 1000);
    backend = Backend.of(server); // the old access token has expired by now
    assert.equal((await backend.status(started.correlationId)).success, 'false', 'readable for 24 hours');
    clock.advance(2000);
    const { purgeExpired } = await import('../../src/store/maintenance.js');
    await purgeExpired(server.server.deps.db.kysely, clock.now());
    const gone = await backend.post('/v3/unify-status', { correlationId: started.correlationId });
    assert.equal(gone.status, 400);
    assertErrorBody(gone.body, 8008);
  });

  it('bind after the session window is refused (403 8003)', async () => {
    backend = Backend.of(server);
    const started = await backend.unify({ possessionType: 'none', phoneNumber: '+12025550132' });
    const { DeviceKey } = await import('../support/device-key.js');
    await new ProtocolClient(started.authToken!).deviceStep(new DeviceKey());
    assert.equal((await backend.status(started.correlationId)).success, 'possession_required');
    clock.advance(15 * 60 * 1000 + 1);
    const bind = await backend.bind(started.correlationId, '+12025550132');
    assert.equal(bind.status, 403);
    assertErrorBody(bind.body, 8003);
  });

  it('an access token expires after 3600 s (401 8002)', async () => {
    const fresh = new Backend(server.url, server.clientId, server.clientSecret);
    await fresh.token();
    clock.advance(3600 * 1000);
    const reply = await fresh.post('/v3/unify-status', { correlationId: 'x' });
    assert.equal(reply.status, 401);
    assertErrorBody(reply.body, 8002, /expired/);
  });
});
