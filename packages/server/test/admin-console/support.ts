/**
 * @module test/admin-console/support
 * Helpers of the console's HTTP tests: an admin made through the data layer (as
 * `handset admins create` does), a form post, and a signed-in console session.
 */
import assert from 'node:assert/strict';
import { createAdmin, type NewAdmin } from '../../src/admin/admins-repo.js';
import type { TestServer } from '../../src/testing.js';

export const FORM = 'application/x-www-form-urlencoded';

export function createTestAdmin(server: TestServer, name = 'alice'): Promise<NewAdmin> {
  return createAdmin(server.server.deps.db.kysely, { name });
}

/** A form POST over the socket; redirects are not followed. */
export function postForm(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', redirect: 'manual', headers: { 'content-type': FORM, ...headers }, body: new URLSearchParams(fields).toString() });
}

/** A GET over the socket, redirects not followed. */
export function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { redirect: 'manual', headers });
}

/** The `name=value` part of a Set-Cookie header for `name`, or undefined. */
export function cookieFrom(response: Response, name: string): { pair: string; attributes: string } | undefined {
  for (const line of response.headers.getSetCookie()) {
    if (line.startsWith(`${name}=`)) return { pair: line.split(';')[0]!, attributes: line };
  }
  return undefined;
}

/** The CSRF token the page's forms carry. */
export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  assert.ok(match, 'the page has a CSRF field');
  return match[1]!;
}

export interface ConsoleSession {
  /** `handset_admin=…` for a Cookie header. */
  cookie: string;
  csrf: string;
}

/** Signs in over the socket and reads the CSRF token from the overview page. */
export async function signIn(server: TestServer, admin: NewAdmin): Promise<ConsoleSession> {
  const response = await postForm(`${server.url}/admin/sign-in`, { adminId: admin.adminId, secret: admin.secret, next: '/admin' });
  assert.equal(response.status, 303, 'signed in');
  const cookie = cookieFrom(response, 'handset_admin');
  assert.ok(cookie, 'the session cookie is set');
  const page = await get(`${server.url}/admin`, { cookie: cookie.pair });
  assert.equal(page.status, 200);
  return { cookie: cookie.pair, csrf: csrfOf(await page.text()) };
}
