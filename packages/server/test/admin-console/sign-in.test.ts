/**
 * The console's sign-in, sign-out, session timeout and CSRF checks over HTTP (a listening socket,
 * and inject() where a proxy header is needed): the cookie's attributes, what each refusal answers,
 * that a refused form changes nothing, and that every sign-in and sign-out is audited.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '@handset/protocol';
import { disableAdmin } from '../../src/admin/admins-repo.js';
import { ADMIN_SESSION_IDLE_MS } from '../../src/admin/admin-sessions.js';
import { listAudit } from '../../src/admin/audit-log.js';
import { SIGN_IN_FAILURES } from '../../src/admin/console/sign-in-limit.js';
import { ManualClock } from '../../src/ports/clock.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { cookieFrom, createTestAdmin, get, postForm, signIn } from './support.js';

const HTML = { accept: 'text/html,application/xhtml+xml' };

describe('console sign-in', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('the sign-in page is open, has labelled fields, and carries the CSP', async () => {
    const response = await get(`${server.url}/admin/sign-in`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'self'; style-src 'self'/);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    const html = await response.text();
    assert.match(html, /<label for="adminId">Admin id<input id="adminId" name="adminId"/);
    assert.match(html, /<label for="secret">Secret<input id="secret" name="secret" type="password"/);
    assert.doesNotMatch(html, /<script>|<style>|style="/, 'no inline script or style');
  });

  it('a good secret opens a session: HttpOnly, SameSite=Strict, Path=/admin cookie, no Secure over http; audited', async () => {
    const admin = await createTestAdmin(server, 'good');
    const response = await postForm(`${server.url}/admin/sign-in`, { adminId: admin.adminId, secret: admin.secret, next: '/admin/sessions?outcome=failed' });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), '/admin/sessions?outcome=failed', 'back to where the admin was going');
    const cookie = cookieFrom(response, 'handset_admin');
    assert.ok(cookie);
    assert.match(cookie.attributes, /; HttpOnly/);
    assert.match(cookie.attributes, /; SameSite=Strict/);
    assert.match(cookie.attributes, /; Path=\/admin(;|$)/);
    assert.match(cookie.attributes, /; Expires=/);
    assert.doesNotMatch(cookie.attributes, /Secure/);
    const page = await get(`${server.url}/admin`, { cookie: cookie.pair });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Signed in as good/);
    const audit = await listAudit(server.server.deps.db.kysely, { adminId: admin.adminId, limit: 10 });
    assert.deepEqual(audit.entries.map((e) => e.action), ['stats.daily', 'console.sign-in'], 'the sign-in, then the overview it opened');
    assert.ok(audit.entries[1]!.address, 'the address is recorded');
  });

  it('a next that leaves the console is ignored (no open redirect)', async () => {
    const admin = await createTestAdmin(server, 'next');
    const masked = '/admin/sessions?number=%2B1******0123&outcome=failed';
    const kept = await postForm(`${server.url}/admin/sign-in`, { adminId: admin.adminId, secret: admin.secret, next: masked });
    assert.equal(kept.headers.get('location'), masked, 'a console search with a masked number is kept');
    for (const next of ['https://evil.example/', '//evil.example/admin', '/admin/../v3/unify', '/adminx', '/admin/sign-in']) {
      const response = await postForm(`${server.url}/admin/sign-in`, { adminId: admin.adminId, secret: admin.secret, next });
      assert.equal(response.status, 303);
      assert.equal(response.headers.get('location'), '/admin', next);
    }
  });

  it('a wrong secret, an unknown admin and a disabled admin are refused alike; the refusal is audited', async () => {
    const admin = await createTestAdmin(server, 'refused');
    const disabled = await createTestAdmin(server, 'disabled');
    await disableAdmin(server.server.deps.db.kysely, disabled.adminId);
    for (const fields of [
      { adminId: admin.adminId, secret: `${admin.secret}x` },
      { adminId: 'hsa_nobody', secret: admin.secret },
      { adminId: disabled.adminId, secret: disabled.secret },
    ]) {
      const json = await postForm(`${server.url}/admin/sign-in`, fields);
      assert.equal(json.status, 401);
      assert.deepEqual(await json.json(), {
        code: ApiError.UNAUTHORIZED.code,
        message: 'that admin id and secret do not open the console (wrong, unknown or disabled)',
      });
      assert.equal(cookieFrom(json, 'handset_admin'), undefined, 'no cookie');
      // A browser is sent back to the form, which says why.
      const browser = await postForm(`${server.url}/admin/sign-in`, fields, HTML);
      assert.equal(browser.status, 303);
      assert.equal(browser.headers.get('location'), '/admin/sign-in?error=wrong&next=%2Fadmin');
      const form = await get(`${server.url}${browser.headers.get('location')}`);
      assert.match(await form.text(), /role="alert">That admin id and secret do not open the console/);
    }
    const refusals = await listAudit(server.server.deps.db.kysely, { action: 'console.sign-in-refused', limit: 20 });
    assert.ok(refusals.entries.some((e) => e.target === disabled.adminId && e.adminId === null));
    assert.ok(refusals.entries.every((e) => JSON.stringify(e).indexOf(admin.secret) === -1), 'no secret in the audit');
  });

  it('missing or oversized fields are 400 {code, message}', async () => {
    const attempts: Array<Record<string, string>> = [{}, { adminId: 'hsa_x' }, { secret: 'x' }, { adminId: 'hsa_x', secret: 'x'.repeat(201) }];
    for (const fields of attempts) {
      const response = await postForm(`${server.url}/admin/sign-in`, fields);
      assert.equal(response.status, 400, JSON.stringify(fields));
      assert.equal(((await response.json()) as { code: number }).code, ApiError.MALFORMED_REQUEST.code);
    }
  });

  it('a sign-in posted from another origin is refused (403) even with the right secret', async () => {
    const admin = await createTestAdmin(server, 'origin');
    const response = await postForm(`${server.url}/admin/sign-in`, { adminId: admin.adminId, secret: admin.secret }, { origin: 'https://evil.example' });
    assert.equal(response.status, 403);
    assert.equal(((await response.json()) as { code: number }).code, ApiError.STEP_NOT_ALLOWED.code);
    assert.equal(cookieFrom(response, 'handset_admin'), undefined);
    const same = await postForm(`${server.url}/admin/sign-in`, { adminId: admin.adminId, secret: admin.secret }, { origin: server.url });
    assert.equal(same.status, 303, 'the platform’s own origin is fine');
  });

  it('sign-out ends the session on the server, clears the cookie and is audited', async () => {
    const admin = await createTestAdmin(server, 'leaver');
    const session = await signIn(server, admin);
    const out = await postForm(`${server.url}/admin/sign-out`, { _csrf: session.csrf }, { cookie: session.cookie });
    assert.equal(out.status, 303);
    assert.equal(out.headers.get('location'), '/admin/sign-in?signed-out=1');
    const cleared = cookieFrom(out, 'handset_admin');
    assert.ok(cleared && /Expires=Thu, 01 Jan 1970/.test(cleared.attributes), 'the cookie is cleared');
    // The old cookie, replayed, opens nothing.
    const replay = await get(`${server.url}/admin`, { cookie: session.cookie });
    assert.equal(replay.status, 303);
    assert.match(replay.headers.get('location') ?? '', /^\/admin\/sign-in\?next=%2Fadmin/);
    const post = await postForm(`${server.url}/admin/sign-out`, { _csrf: session.csrf }, { cookie: session.cookie });
    assert.equal(post.status, 401);
    const audit = await listAudit(server.server.deps.db.kysely, { adminId: admin.adminId, limit: 10 });
    assert.deepEqual(audit.entries.map((e) => e.action), ['console.sign-out', 'stats.daily', 'console.sign-in']);
  });

  it('CSRF: a POST without the token, with a wrong one, or from another origin is refused and changes nothing', async () => {
    const admin = await createTestAdmin(server, 'csrf');
    const session = await signIn(server, admin);
    const attempts: Array<[Record<string, string>, Record<string, string>]> = [
      [{}, {}],
      [{ _csrf: '' }, {}],
      // One character changed (to another one: a random token may already end in 'A').
      [{ _csrf: `${session.csrf.slice(0, -1)}${session.csrf.endsWith('A') ? 'B' : 'A'}` }, {}],
      [{ _csrf: session.csrf }, { origin: 'https://evil.example' }],
      [{ _csrf: session.csrf }, { origin: 'null' }],
    ];
    for (const [fields, headers] of attempts) {
      const response = await postForm(`${server.url}/admin/sign-out`, fields, { cookie: session.cookie, ...headers });
      assert.equal(response.status, 403, JSON.stringify([fields, headers]));
      const body = (await response.json()) as { code: number; message: string };
      assert.equal(body.code, ApiError.STEP_NOT_ALLOWED.code);
      assert.equal(response.headers.get('content-security-policy')?.startsWith("default-src 'none'"), true);
    }
    // Nothing was ended or audited: only the sign-in and the overview it opened are there.
    const audit = await listAudit(server.server.deps.db.kysely, { adminId: admin.adminId, limit: 10 });
    assert.deepEqual(audit.entries.map((e) => e.action), ['stats.daily', 'console.sign-in']);
    assert.equal((await get(`${server.url}/admin`, { cookie: session.cookie })).status, 200, 'still signed in');
  });

  it('a cookie that names no session, and a client’s bearer token, open nothing', async () => {
    const made = await get(`${server.url}/admin`, { cookie: 'handset_admin=hsac_made-up' });
    assert.equal(made.status, 303);
    assert.match(made.headers.get('location') ?? '', /&expired=1$/);
    assert.match(cookieFrom(made, 'handset_admin')?.attributes ?? '', /Expires=Thu, 01 Jan 1970/, 'the dead cookie is dropped');
    const token = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: server.clientId, client_secret: server.clientSecret }).toString(),
    });
    const { access_token } = (await token.json()) as { access_token: string };
    assert.ok(access_token);
    const bearer = await get(`${server.url}/admin/sessions`, { authorization: `Bearer ${access_token}` });
    assert.equal(bearer.status, 303, 'a client is no admin');
    const post = await postForm(`${server.url}/admin/sign-out`, {}, { authorization: `Bearer ${access_token}` });
    assert.equal(post.status, 401);
  });
});

describe('console sign-in limits and timeouts', () => {
  it(`after ${SIGN_IN_FAILURES} failures an address is refused (429, Retry-After) even with the right secret`, async () => {
    const server = await startTestServer();
    try {
      const admin = await createTestAdmin(server);
      for (let i = 0; i < SIGN_IN_FAILURES; i++) {
        const response = await postForm(`${server.url}/admin/sign-in`, { adminId: admin.adminId, secret: 'wrong' });
        assert.equal(response.status, 401, `failure ${i + 1}`);
      }
      const limited = await postForm(`${server.url}/admin/sign-in`, { adminId: admin.adminId, secret: admin.secret });
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
      assert.equal(((await limited.json()) as { code: number }).code, ApiError.RATE_LIMITED.code);
      assert.equal(cookieFrom(limited, 'handset_admin'), undefined);
      const browser = await postForm(`${server.url}/admin/sign-in`, { adminId: admin.adminId, secret: admin.secret }, HTML);
      assert.equal(browser.headers.get('location'), '/admin/sign-in?error=limited&next=%2Fadmin');
    } finally {
      await server.close();
    }
  });

  it('an idle session ends: pages redirect to sign-in (saying so), posts get 401', async () => {
    const clock = new ManualClock(Date.parse('2026-12-01T10:00:00Z'));
    const server = await startTestServer({ overrides: { clock } });
    try {
      const session = await signIn(server, await createTestAdmin(server));
      clock.advance(ADMIN_SESSION_IDLE_MS - 1000);
      assert.equal((await get(`${server.url}/admin`, { cookie: session.cookie })).status, 200, 'used just in time: the idle timer starts again');
      clock.advance(ADMIN_SESSION_IDLE_MS - 1000);
      assert.equal((await get(`${server.url}/admin`, { cookie: session.cookie })).status, 200);
      clock.advance(ADMIN_SESSION_IDLE_MS);
      const page = await get(`${server.url}/admin/sessions`, { cookie: session.cookie });
      assert.equal(page.status, 303);
      assert.equal(page.headers.get('location'), '/admin/sign-in?next=%2Fadmin%2Fsessions&expired=1');
      const form = await get(`${server.url}${page.headers.get('location')}`);
      assert.match(await form.text(), /role="status">Your console session has ended/);
      const post = await postForm(`${server.url}/admin/sign-out`, { _csrf: session.csrf }, { cookie: session.cookie });
      assert.equal(post.status, 401);
    } finally {
      await server.close();
    }
  });

  it('behind a trusted https proxy the cookie is Secure (inject)', async () => {
    const server = await startTestServer({ config: { trustProxy: ['127.0.0.1'] } });
    try {
      const admin = await createTestAdmin(server);
      const response = await server.server.app.inject({
        method: 'POST',
        url: '/admin/sign-in',
        remoteAddress: '127.0.0.1',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-proto': 'https' },
        payload: new URLSearchParams({ adminId: admin.adminId, secret: admin.secret }).toString(),
      });
      assert.equal(response.statusCode, 303);
      const setCookie = [response.headers['set-cookie']].flat().join('\n');
      assert.match(setCookie, /handset_admin=hsac_[^;]+;.*; Secure/);
      const plain = await server.server.app.inject({
        method: 'POST',
        url: '/admin/sign-in',
        remoteAddress: '127.0.0.1',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ adminId: admin.adminId, secret: admin.secret }).toString(),
      });
      assert.doesNotMatch([plain.headers['set-cookie']].flat().join('\n'), /Secure/);
    } finally {
      await server.close();
    }
  });
});
