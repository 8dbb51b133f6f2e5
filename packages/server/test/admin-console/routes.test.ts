/**
 * Nothing of the console opens without a console session: every console route, listed from the
 * app itself (so a route added later cannot escape), is asked without credentials, with a cookie
 * that names no session, with an integrator's bearer token and with an admin API token, both with inject() and over the
 * socket. A GET is redirected to the sign-in page with an empty body; anything else is 401
 * `{code, message}`. Only the sign-in page and the assets answer, and they hold nothing private.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '@handset/protocol';
import { assetUrls } from '../../src/admin/console/assets.js';
import { OPEN_CONSOLE_ROUTES } from '../../src/admin/console/console-routes.js';
import { routesOf, type RouteEntry } from '../../src/http/route-methods.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { Backend } from '../support/server-api.js';
import { createTestAdmin, FORM } from './support.js';

/** The admin API (`/admin/v1`) has its own bearer tokens and tests; the console is the rest of /admin. */
const isConsoleRoute = (route: RouteEntry): boolean => (route.url === '/admin' || route.url.startsWith('/admin/')) && !route.url.startsWith('/admin/v1');

function pathOf(route: RouteEntry): string {
  return route.url.replace(/:[A-Za-z]+/g, 'hsc_AbCdEf012345');
}

describe('console routes without a console session', () => {
  let server: TestServer;
  let routes: RouteEntry[];
  let credentials: Array<[string, Record<string, string>]>;
  before(async () => {
    server = await startTestServer();
    routes = routesOf(server.server.app).filter(isConsoleRoute);
    const token = await Backend.of(server).token();
    // An admin API token is for /admin/v1 only: the console wants its own session.
    const admin = await createTestAdmin(server);
    const issued = await fetch(`${server.url}/admin/v1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ adminId: admin.adminId, secret: admin.secret }),
    });
    assert.equal(issued.status, 200);
    const adminToken = ((await issued.json()) as { access_token: string }).access_token;
    credentials = [
      ['no credentials', {}],
      ['a cookie naming no session', { cookie: 'handset_admin=hsac_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG' }],
      ['an integrator bearer token', { authorization: `Bearer ${token}` }],
      ['an admin API bearer token', { authorization: `Bearer ${adminToken}` }],
    ];
  });
  after(() => server.close());

  it('the route list comes from the app and holds every console page and action', () => {
    const listed = new Set(routes.map((r) => `${r.method} ${r.url}`));
    for (const route of [
      'GET /admin',
      'GET /admin/sign-in',
      'POST /admin/sign-in',
      'POST /admin/sign-out',
      'GET /admin/assets/:name',
      'GET /admin/sessions',
      'GET /admin/sessions/:correlationId',
      'GET /admin/devices',
      'POST /admin/devices',
      'POST /admin/devices/revoke',
      'POST /admin/devices/revoke-all',
      'GET /admin/clients',
      'POST /admin/clients',
      'POST /admin/clients/:clientId/rotate',
      'POST /admin/clients/:clientId/disable',
      'GET /admin/messages',
    ]) {
      assert.ok(listed.has(route), `${route} is listed`);
    }
  });

  for (const transport of ['inject', 'socket'] as const) {
    it(`every guarded route answers a redirect to sign-in (GET, HEAD) or 401, and nothing else (${transport})`, async () => {
      const guarded = routes.filter((r) => !(OPEN_CONSOLE_ROUTES as readonly string[]).includes(r.url));
      assert.ok(guarded.length >= 14, `${guarded.length} guarded routes`);
      const failures: string[] = [];
      for (const route of guarded) {
        for (const [label, headers] of credentials) {
          const path = pathOf(route);
          const body = route.method === 'POST' ? 'name=x&number=%2B12025550100&deviceId=x&_csrf=x' : undefined;
          const all = { ...headers, ...(body ? { 'content-type': FORM } : {}), accept: 'text/html' };
          let status: number;
          let location: string | undefined;
          let text: string;
          let type: string;
          if (transport === 'inject') {
            const response = await server.server.app.inject({ method: route.method as 'GET', url: path, headers: all, payload: body });
            status = response.statusCode;
            location = response.headers.location as string | undefined;
            text = response.body;
            type = String(response.headers['content-type'] ?? '');
          } else {
            const response = await fetch(`${server.url}${path}`, { method: route.method, headers: all, body, redirect: 'manual' });
            status = response.status;
            location = response.headers.get('location') ?? undefined;
            text = await response.text();
            type = response.headers.get('content-type') ?? '';
          }
          const where = `${route.method} ${route.url} with ${label}`;
          if (route.method === 'GET' || route.method === 'HEAD') {
            if (status !== 303) failures.push(`${where}: ${status}`);
            else if (!location?.startsWith('/admin/sign-in?next=')) failures.push(`${where}: to ${location}`);
            else if (text !== '') failures.push(`${where}: a body of ${text.length} characters`);
          } else if (status !== 401) {
            failures.push(`${where}: ${status} ${text.slice(0, 100)}`);
          } else if (!type.startsWith('application/json')) {
            failures.push(`${where}: content-type ${type}`);
          } else {
            const parsed = JSON.parse(text) as Record<string, unknown>;
            if (Object.keys(parsed).sort().join() !== 'code,message' || parsed.code !== ApiError.UNAUTHORIZED.code) failures.push(`${where}: ${text}`);
          }
        }
      }
      assert.deepEqual(failures, []);
    });
  }

  it('HEAD on a guarded page is redirected too', async () => {
    const response = await server.server.app.inject({ method: 'HEAD', url: '/admin/messages' });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/admin/sign-in?next=%2Fadmin%2Fmessages');
  });

  it('nothing was changed by all of that: no client created, disabled or rotated', async () => {
    const clients = await server.server.deps.db.kysely.selectFrom('clients').select(['id', 'disabled_at']).execute();
    assert.equal(clients.length, 1);
    assert.equal(clients[0]!.disabled_at, null);
    assert.equal((await Backend.of(server).token(true)).length > 0, true, 'the client secret still works');
  });

  it('the open routes: the sign-in page, and each asset with a content hash, its type and a year of caching', async () => {
    assert.equal((await fetch(`${server.url}/admin/sign-in`)).status, 200);
    const urls = assetUrls();
    assert.equal(urls.length, 5);
    for (const url of urls) {
      const response = await fetch(`${server.url}${url}`);
      assert.equal(response.status, 200, url);
      assert.match(url, /^\/admin\/assets\/[A-Za-z]+\.[0-9a-f]{12}(\.min|\.iife\.min)?\.(css|js)$/);
      assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.match(response.headers.get('content-type') ?? '', url.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.ok((await response.arrayBuffer()).byteLength > 100);
    }
    for (const name of ['console.css', 'uPlot.iife.min.js', '..%2Fpackage.json', 'console.000000000000.css']) {
      const response = await fetch(`${server.url}/admin/assets/${name}`);
      assert.equal(response.status, 404, name);
      assert.equal(((await response.json()) as { code: number }).code, ApiError.NOT_FOUND.code);
    }
  });
});
