/**
 * The admin API, `/admin/v1`, through `inject()` and over a listening socket, on the database of
 * the pass: sign-in, every route doing its job on sessions made by real flows, the audit of every
 * call, validation (never a 500), the OpenAPI document, and the attacker's view — every admin
 * route, enumerated from the app, answers 401 {code, message} and does nothing without a live
 * admin token: no header, garbage, Basic, a client's access token or credentials, a disabled
 * admin's token, an expired token, a console session id.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startAdminSession } from '../../src/admin/admin-sessions.js';
import { ADMIN_TOKEN_TTL_SECONDS } from '../../src/admin/admin-tokens.js';
import { createAdmin, disableAdmin } from '../../src/admin/admins-repo.js';
import { listAudit } from '../../src/admin/audit-log.js';
import { routesOf } from '../../src/http/route-methods.js';
import { DEFAULT_POLICY } from '../../src/policy/default-policy.js';
import { addWebhookEndpoint } from '../../src/webhooks/endpoints-repo.js';
import { ManualClock } from '../../src/ports/clock.js';
import type { Executor } from '../../src/store/executor.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { assertErrorBody } from '../support/assertions.js';
import { DeviceKey } from '../support/device-key.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend, latestMessage } from '../support/server-api.js';

const NUMBER = '+12025550161';
const T0 = Date.parse('2030-05-01T09:00:00Z');

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

describe('admin API /admin/v1', () => {
  const clock = new ManualClock(T0);
  let server: TestServer;
  let db: Executor;
  let admin: { adminId: string; secret: string };
  let token: string;
  let correlationId: string;
  let otpCode: string;
  const key = new DeviceKey();

  /** A call through inject(). */
  async function call(method: string, url: string, options: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    const bearer = options.token === undefined ? token : options.token;
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    const reply = await server.server.app.inject({ method: method as 'GET', url, headers, ...(options.body !== undefined && { payload: options.body as object }) });
    return { status: reply.statusCode, body: reply.body ? (JSON.parse(reply.body) as Record<string, unknown>) : {} };
  }

  async function signIn(credentials: { adminId: string; secret: string }): Promise<string> {
    const answer = await call('POST', '/admin/v1/token', { token: null, body: credentials });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.access_token as string;
  }

  before(async () => {
    server = await startTestServer({ overrides: { clock } });
    db = server.server.deps.db.kysely;
    admin = await createAdmin(db, { name: 'ops' }, { clock, random: server.server.deps.random });
    token = await signIn(admin);
    // A real mobile flow: new key, OTP.
    const backend = Backend.of(server);
    const started = await backend.unify({ possessionType: 'mobile', phoneNumber: NUMBER, clientRequestId: 'order-77' });
    correlationId = started.correlationId;
    const phone = new ProtocolClient(started.authToken!);
    await phone.deviceStep(key);
    await phone.otpStart();
    otpCode = (await latestMessage(server, NUMBER)).code!;
    await phone.otpFinish(otpCode);
  });
  after(() => server.close());

  it('POST /token: the right secret gets a 15-minute bearer token; a wrong one 401, audited without the secret', async () => {
    const good = await call('POST', '/admin/v1/token', { token: null, body: admin });
    assert.equal(good.status, 200);
    assert.match(good.body.access_token as string, /^hsat_/);
    assert.equal(good.body.token_type, 'Bearer');
    assert.equal(good.body.expires_in, ADMIN_TOKEN_TTL_SECONDS);
    for (const body of [{ ...admin, secret: `${admin.secret}x` }, { adminId: 'hsa_nobody', secret: admin.secret }]) {
      const bad = await call('POST', '/admin/v1/token', { token: null, body });
      assert.equal(bad.status, 401);
      assertErrorBody(bad.body, 8002);
    }
    const refused = await listAudit(db, { action: 'token.refused', limit: 10 });
    assert.deepEqual(refused.entries.map((e) => e.target).sort(), [admin.adminId, 'hsa_nobody'].sort());
    assert.ok(refused.entries.every((e) => e.adminId === null && e.address === '127.0.0.1'));
    const issued = await listAudit(db, { action: 'token.issued', adminId: admin.adminId, limit: 10 });
    assert.ok(issued.entries.length >= 2);
    assert.ok(!JSON.stringify(await listAudit(db, { limit: 200 })).includes(admin.secret), 'no secret in the audit');
    for (const body of [{}, { adminId: admin.adminId }, { ...admin, extra: 1 }, { adminId: 1, secret: 'x' }]) {
      const malformed = await call('POST', '/admin/v1/token', { token: null, body });
      assert.equal(malformed.status, 400, JSON.stringify(body));
      assertErrorBody(malformed.body, 8001);
    }
  });

  it('sessions: search by correlationId, clientRequestId, number (exact, last four, masked), outcome, time; the timeline', async () => {
    for (const query of [
      `correlationId=${correlationId}`,
      'clientRequestId=order-77',
      'phoneNumber=%2B12025550161',
      'phoneNumber=2025550161',
      'maskedNumber=0161',
      'maskedNumber=%2B1******0161',
      `clientId=${server.clientId}&outcome=succeeded&possessionType=mobile`,
      'from=2030-05-01&to=2030-05-02T00:00:00Z',
    ]) {
      const found = await call('GET', `/admin/v1/sessions?${query}`);
      assert.equal(found.status, 200, query);
      const sessions = found.body.sessions as Array<Record<string, unknown>>;
      assert.deepEqual(sessions.map((s) => s.correlationId), [correlationId], query);
      assert.equal(sessions[0]!.number, '+1******0161');
      assert.equal(sessions[0]!.createdAt, new Date(T0).toISOString());
    }
    assert.deepEqual((await call('GET', '/admin/v1/sessions?outcome=failed')).body.sessions, []);

    const timeline = await call('GET', `/admin/v1/sessions/${correlationId}`);
    assert.equal(timeline.status, 200);
    const events = timeline.body.events as Array<Record<string, unknown>>;
    assert.deepEqual(events.map((e) => e.type), ['created', 'device_checked:new', ...DEFAULT_POLICY.rules.map((r) => `policy:${r.id}`), 'otp_sent', 'sms', 'otp_checked:correct']);
    assert.equal(events.find((e) => e.type === 'otp_sent')!.destination, '+1******0161');
    const text = JSON.stringify(timeline.body);
    assert.ok(!text.includes('2025550161') && !text.includes(otpCode), 'no full number, no code');
    const missing = await call('GET', '/admin/v1/sessions/00000000-0000-4000-8000-000000000000');
    assert.equal(missing.status, 404);
    assertErrorBody(missing.body, 8011);
  });

  it('devices: by number (exact) and by client; revoke makes the next flow ask for possession; revoke-number', async () => {
    const byNumber = await call('GET', '/admin/v1/devices?phoneNumber=%2B12025550161');
    assert.equal(byNumber.status, 200);
    const devices = byNumber.body.devices as Array<Record<string, unknown>>;
    assert.deepEqual(devices.map((d) => d.deviceId), [key.deviceId]);
    assert.equal(devices[0]!.number, '+1******0161');
    const byClient = await call('GET', `/admin/v1/devices?clientId=${server.clientId}`);
    assert.ok((byClient.body.devices as Array<Record<string, unknown>>).some((d) => d.deviceId === key.deviceId));

    const revoked = await call('POST', `/admin/v1/devices/${key.deviceId}/revoke`);
    assert.equal(revoked.status, 200);
    assert.equal((revoked.body.device as Record<string, unknown>).revokedAt, new Date(clock.now()).toISOString());
    const next = await Backend.of(server).unify({ possessionType: 'mobile', phoneNumber: NUMBER });
    const reply = await new ProtocolClient(next.authToken!).deviceStep(key);
    assert.equal(reply.body.next, 'mobile/instant', 'possession is asked for again');
    const audit = (await listAudit(db, { action: 'devices.revoke', limit: 5 })).entries[0]!;
    assert.equal(audit.target, key.deviceId);
    assert.equal(audit.adminId, admin.adminId);
    assert.deepEqual(audit.detail, { clientId: server.clientId, number: '+1******0161' });

    const unknown = await call('POST', '/admin/v1/devices/no-such-device/revoke');
    assert.equal(unknown.status, 404);
    assertErrorBody(unknown.body, 8011);
    const refusedEntry = (await listAudit(db, { action: 'devices.revoke', limit: 5 })).entries[0]!;
    assert.deepEqual(refusedEntry.detail, { status: 404 }, 'a refused change is audited with its status');

    const other = new DeviceKey();
    const bind = await Backend.of(server).unify({ possessionType: 'none', phoneNumber: '+12025550162' });
    await new ProtocolClient(bind.authToken!).deviceStep(other);
    await Backend.of(server).bind(bind.correlationId, '+12025550162');
    const all = await call('POST', '/admin/v1/devices/revoke-number', { body: { phoneNumber: '+12025550162' } });
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.revoked, [other.deviceId]);
    const entry = (await listAudit(db, { action: 'devices.revoke-number', limit: 1 })).entries[0]!;
    assert.equal(entry.target, '+1******0162');
  });

  it('clients: list with rate limits, create, rotate, disable (its /token then fails); secrets only in the create/rotate answers', async () => {
    const created = await call('POST', '/admin/v1/clients', { body: { name: 'Shop' } });
    assert.equal(created.status, 200);
    const { clientId, clientSecret } = created.body as { clientId: string; clientSecret: string };
    const list = await call('GET', '/admin/v1/clients');
    const shop = (list.body.clients as Array<Record<string, unknown>>).find((c) => c.clientId === clientId);
    assert.deepEqual(shop?.rateLimits, { rateLimitPerSecond: 0, tokenPerClientPerMinute: 0 });
    assert.ok(!JSON.stringify(list.body).includes(clientSecret));

    const rotated = await call('POST', `/admin/v1/clients/${clientId}/rotate-secret`);
    assert.equal(rotated.status, 200);
    const newSecret = rotated.body.clientSecret as string;
    assert.notEqual(newSecret, clientSecret);
    const shopBackend = new Backend(server.url, clientId, newSecret);
    await shopBackend.token();
    const disabled = await call('POST', `/admin/v1/clients/${clientId}/disable`);
    assert.equal(disabled.status, 200);
    assert.equal((disabled.body.client as Record<string, unknown>).disabledAt, new Date(clock.now()).toISOString());
    await assert.rejects(shopBackend.token(true), /401/);
    // Its access token stops working on this instance at once.
    const unify = await shopBackend.post('/v3/unify', { possessionType: 'none', clientRequestId: 'x' });
    assert.equal(unify.status, 401);
    for (const path of ['rotate-secret', 'disable']) assert.equal((await call('POST', `/admin/v1/clients/hsc_nobody/${path}`)).status, 404);
    const entries = await listAudit(db, { adminId: admin.adminId, limit: 200 });
    assert.ok(!JSON.stringify(entries).includes(clientSecret) && !JSON.stringify(entries).includes(newSecret), 'no client secret in the audit');
    assert.equal((await call('POST', '/admin/v1/clients', { body: { name: '   ' } })).status, 400);
  });

  it('messages, stats and the audit', async () => {
    const messages = await call('GET', '/admin/v1/messages?limit=10');
    assert.equal(messages.status, 200);
    const list = messages.body.messages as Array<Record<string, unknown>>;
    assert.equal(list[0]!.to, '+1******0161');
    assert.equal(list[0]!.correlationId, correlationId);
    assert.ok(!JSON.stringify(list).includes(otpCode));

    const daily = await call('GET', `/admin/v1/stats/daily?from=2030-05-01&to=2030-05-02&clientId=${server.clientId}`);
    assert.equal(daily.status, 200);
    const mobile = (daily.body.days as Array<Record<string, unknown>>).find((d) => d.channel === 'mobile');
    assert.equal(mobile?.day, '2030-05-01');
    assert.ok((mobile?.started as number) >= 2 && mobile?.succeeded === 1 && mobile?.possessionProven === 1);
    const delivery = await call('GET', '/admin/v1/stats/delivery?from=2030-05-01&to=2030-05-02');
    assert.deepEqual(delivery.body, { providers: [{ provider: 'outbox', sent: 1, delivered: 1, failed: 0 }] });

    const audit = await call('GET', `/admin/v1/audit?adminId=${admin.adminId}&limit=200`);
    assert.equal(audit.status, 200);
    const actions = new Set((audit.body.entries as Array<Record<string, unknown>>).map((e) => e.action));
    for (const action of ['token.issued', 'sessions.search', 'sessions.read', 'devices.list', 'devices.revoke', 'devices.revoke-number', 'clients.list', 'clients.create', 'clients.rotate-secret', 'clients.disable', 'messages.list', 'stats.daily', 'stats.delivery']) {
      assert.ok(actions.has(action), `${action} is audited`);
    }
    const entries = audit.body.entries as Array<Record<string, unknown>>;
    assert.ok(entries.every((e) => e.address === '127.0.0.1' && typeof e.at === 'string'));
    const text = JSON.stringify(entries);
    assert.ok(!text.includes('2025550161') && !text.includes('2025550162'), 'numbers are masked in the audit');
    const searched = entries.find((e) => e.action === 'sessions.search' && (e.detail as Record<string, unknown>).phoneNumber !== undefined);
    assert.equal((searched?.detail as Record<string, unknown>).phoneNumber, '+1******0161');
    // The read of the audit is itself audited.
    assert.equal((await listAudit(db, { limit: 1 })).entries[0]!.action, 'audit.read');
    const page = await call('GET', '/admin/v1/audit?limit=2');
    assert.equal((page.body.entries as unknown[]).length, 2);
    const second = await call('GET', `/admin/v1/audit?limit=2&cursor=${page.body.nextCursor as string}`);
    assert.equal(second.status, 200);
  });

  it('odd and hostile filter values are 400 {code, message} (or match nothing), never a 500 or a listing of numbers', async () => {
    const cases = [
      '/admin/v1/sessions?maskedNumber=%25',
      '/admin/v1/sessions?maskedNumber=%2B1%25',
      '/admin/v1/sessions?maskedNumber=____',
      '/admin/v1/sessions?maskedNumber=016',
      '/admin/v1/sessions?maskedNumber=%2B1202******',
      '/admin/v1/sessions?phoneNumber=%2B1202%25',
      '/admin/v1/sessions?phoneNumber=%2B1',
      "/admin/v1/sessions?correlationId=x'%20or%20'1'%3D'1",
      '/admin/v1/sessions?clientId=a;drop%20table%20sessions',
      '/admin/v1/sessions?outcome=true',
      '/admin/v1/sessions?from=yesterday',
      '/admin/v1/sessions?from=2030-13-45',
      '/admin/v1/sessions?limit=0',
      '/admin/v1/sessions?limit=500',
      '/admin/v1/sessions?limit=-1',
      '/admin/v1/sessions?cursor=bm9wZQ',
      '/admin/v1/sessions?cursor=%27',
      '/admin/v1/sessions?unknown=1',
      '/admin/v1/sessions?limit=1&limit=2',
      '/admin/v1/devices',
      '/admin/v1/devices?phoneNumber=%2B12025550161&clientId=x',
      '/admin/v1/devices?phoneNumber=0161',
      '/admin/v1/devices?phoneNumber=%2B1202555%25',
      '/admin/v1/stats/daily?from=2030-05-02&to=2030-05-01',
      '/admin/v1/stats/daily?from=2020-01-01&to=2030-01-01',
      '/admin/v1/stats/daily',
      '/admin/v1/audit?cursor=abc',
      '/admin/v1/audit?action=DROP%20TABLE',
    ];
    for (const url of cases) {
      const answer = await call('GET', url);
      assert.equal(answer.status, 400, `${url}: ${JSON.stringify(answer.body)}`);
      assertErrorBody(answer.body, 8001);
    }
    const quoted = await call('GET', "/admin/v1/sessions?clientRequestId=x'%20or%20'1'%3D'1");
    assert.deepEqual(quoted.body, { sessions: [], nextCursor: null }, 'a quote is a value like any other');
    const badBody = await call('POST', '/admin/v1/devices/revoke-number', { body: { phoneNumber: '%' } });
    assert.equal(badBody.status, 400);
    const notJson = await server.server.app.inject({ method: 'POST', url: '/admin/v1/clients', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: '{' });
    assert.equal(notJson.statusCode, 400);
  });

  it('every admin route refuses every non-admin credential with 401 {code, message} and does nothing', async () => {
    const routes = routesOf(server.server.app).filter((r) => r.url.startsWith('/admin/v1/') && r.method !== 'HEAD' && r.url !== '/admin/v1/token');
    assert.ok(routes.length >= 18, `admin routes found: ${routes.length}`);

    // A disabled admin's token, an expired token, a client's access token and a console session id.
    const disabledAdmin = await createAdmin(db, { name: 'gone' }, { clock, random: server.server.deps.random });
    const disabledToken = await signIn(disabledAdmin);
    await disableAdmin(db, disabledAdmin.adminId, clock.now());
    const shortLived = await createAdmin(db, { name: 'short' }, { clock, random: server.server.deps.random });
    const expiredToken = await signIn(shortLived);
    const otherAdmin = await createAdmin(db, { name: 'other' }, { clock, random: server.server.deps.random });
    const consoleSession = await startAdminSession(db, otherAdmin.adminId, clock.now());
    const clientToken = await Backend.of(server).token(true);
    const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    clock.advance(ADMIN_TOKEN_TTL_SECONDS * 1000);
    await Backend.of(server).token(true);

    const credentials: Array<[string, Record<string, string>]> = [
      ['no credentials', {}],
      ['an empty bearer', { authorization: 'Bearer ' }],
      ['a garbage bearer', { authorization: 'Bearer not-a-token' }],
      ['a token-shaped forgery', { authorization: `Bearer hsat_${'A'.repeat(43)}` }],
      ['the admin secret as a bearer', { authorization: `Bearer ${admin.secret}` }],
      ['admin credentials as Basic', { authorization: basic(admin.adminId, admin.secret) }],
      ['a client access token', { authorization: `Bearer ${clientToken}` }],
      ['client credentials as Basic', { authorization: basic(server.clientId, server.clientSecret) }],
      ['a disabled admin token', { authorization: `Bearer ${disabledToken}` }],
      ['an expired admin token', { authorization: `Bearer ${expiredToken}` }],
      ["another admin's console session id as a bearer", { authorization: `Bearer ${consoleSession.sessionId}` }],
      ["another admin's console session cookie", { cookie: `handset_admin=${consoleSession.sessionId}` }],
    ];
    // A webhook endpoint the routes could rotate or remove: it must come out untouched.
    const hook = await addWebhookEndpoint(db, { random: server.server.deps.random, now: clock.now() }, { clientId: server.clientId, url: 'https://hooks.example.com/h' });
    const auditBefore = (await listAudit(db, { limit: 1 })).entries[0]?.id ?? 0;
    const sample = { phoneNumber: '+12025550161', name: 'Evil', correlationId, url: 'https://evil.example.com/' };
    let checked = 0;
    for (const route of routes) {
      const url = route.url.replace(/:deviceId/, key.deviceId!).replace(/:clientId/, server.clientId).replace(/:correlationId/, correlationId)
        .replace(/:endpointId/, hook.endpointId)
        .replace(/:webhookId/, 'msg_none');
      const query = route.url.endsWith('/devices') ? '?phoneNumber=%2B12025550161' : route.url.includes('/stats/') ? '?from=2030-05-01&to=2030-05-02' : '';
      for (const [name, headers] of credentials) {
        const reply = await server.server.app.inject({
          method: route.method as 'GET',
          url: url + query,
          headers: { ...headers, ...(route.method === 'POST' && { 'content-type': 'application/json' }) },
          ...(route.method === 'POST' && { payload: JSON.stringify(sample) }),
        });
        assert.equal(reply.statusCode, 401, `${route.method} ${route.url} with ${name}: ${reply.statusCode} ${reply.body}`);
        const body = JSON.parse(reply.body) as Record<string, unknown>;
        assert.deepEqual(Object.keys(body).sort(), ['code', 'message']);
        assert.equal(body.code, 8002);
        checked++;
      }
    }
    assert.equal(checked, routes.length * credentials.length);
    // Nothing happened: no audit entry, no client created or disabled, no key revoked again.
    assert.equal((await listAudit(db, { limit: 1 })).entries[0]?.id ?? 0, auditBefore);
    assert.equal((await db.selectFrom('clients').select('id').where('name', '=', 'Evil').execute()).length, 0);
    const first = await db.selectFrom('clients').select('disabled_at').where('id', '=', server.clientId).executeTakeFirstOrThrow();
    assert.equal(first.disabled_at, null);
    const hooks = await db.selectFrom('webhook_endpoints').select(['id', 'secret', 'url']).execute();
    assert.deepEqual(hooks, [{ id: hook.endpointId, secret: hook.secret, url: 'https://hooks.example.com/h' }], 'no endpoint added, rotated or removed');
    // The live admin still gets in (a token issued now).
    token = await signIn(admin);
    assert.equal((await call('GET', '/admin/v1/clients')).status, 200);
  });

  it('over a listening socket: sign in, search, refused without a token', async () => {
    const signed = await fetch(`${server.url}/admin/v1/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(admin) });
    assert.equal(signed.status, 200);
    const { access_token: bearer } = (await signed.json()) as { access_token: string };
    const found = await fetch(`${server.url}/admin/v1/sessions?maskedNumber=0161`, { headers: { authorization: `Bearer ${bearer}` } });
    assert.equal(found.status, 200);
    assert.match(found.headers.get('content-type') ?? '', /application\/json/);
    const sessions = ((await found.json()) as { sessions: Array<{ correlationId: string }> }).sessions;
    assert.ok(sessions.some((s) => s.correlationId === correlationId));
    const refused = await fetch(`${server.url}/admin/v1/sessions`);
    assert.equal(refused.status, 401);
    assertErrorBody(await refused.json(), 8002);
  });

  it('the OpenAPI document lists every admin route with the adminBearer security scheme', async () => {
    const doc = (await server.server.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    assert.deepEqual(doc.components.securitySchemes.adminBearer, { type: 'http', scheme: 'bearer', description: 'An admin token from POST /admin/v1/token (docs/admin.md).' });
    const routes = routesOf(server.server.app).filter((r) => r.url.startsWith('/admin/v1/') && r.method !== 'HEAD');
    for (const route of routes) {
      const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
      const operation = doc.paths[path]?.[route.method.toLowerCase()];
      assert.ok(operation, `${route.method} ${path} is documented`);
      if (route.url !== '/admin/v1/token') assert.deepEqual(operation.security, [{ adminBearer: [] }], path);
    }
  });
});
