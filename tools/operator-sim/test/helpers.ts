/**
 * @module test/helpers
 * Shared set-up of the simulator tests: one registered client, a movable clock, and the steps of
 * the code flow done with plain fetch (no redirects followed).
 */
import { startOperatorSimulator, type OperatorSimulator, type SimulatorOptions } from '../src/index.js';

export const CLIENT = { clientId: 'handset', clientSecret: 'sim-secret-1', redirectUris: ['http://127.0.0.1:9/cb'] };
export const REDIRECT = CLIENT.redirectUris[0]!;
export const LINE = '+12025550154';

/** A clock tests move by hand. */
export function manualClock(start = Date.parse('2026-12-01T12:00:00Z')): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

/** A simulator with {@link CLIENT} registered and `LINE` as the default line. */
export async function simulator(extra: Partial<SimulatorOptions> = {}): Promise<OperatorSimulator> {
  return startOperatorSimulator({ clients: [CLIENT], lines: { default: LINE }, ...extra });
}

/** The query of an authorization request with sound defaults. */
export function authParams(overrides: Record<string, string | null> = {}): URLSearchParams {
  const params: Record<string, string | null> = {
    response_type: 'code',
    client_id: CLIENT.clientId,
    redirect_uri: REDIRECT,
    scope: 'openid number-verification:verify',
    state: 'st-1',
    nonce: 'n-1',
    prompt: 'none',
    ...overrides,
  };
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null) out.set(k, v);
  return out;
}

/** GET /authorize without following the redirect. */
export async function authorizeRaw(sim: OperatorSimulator, params: URLSearchParams, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${sim.url}/authorize?${params}`, { redirect: 'manual', headers });
}

/** The query the authorization endpoint redirected back with. */
export async function authorizeBack(sim: OperatorSimulator, params: URLSearchParams, headers: Record<string, string> = {}): Promise<URLSearchParams> {
  const res = await authorizeRaw(sim, params, headers);
  if (res.status !== 302) throw new Error(`expected a redirect, got ${res.status}`);
  const location = new URL(res.headers.get('location')!);
  if (`${location.origin}${location.pathname}` !== REDIRECT) throw new Error(`redirected elsewhere: ${location.href}`);
  return location.searchParams;
}

/** POST /token with client_secret_basic (default) or client_secret_post. */
export async function tokenRequest(
  sim: OperatorSimulator,
  form: Record<string, string>,
  auth: 'basic' | 'post' | 'none' = 'basic',
  secret = CLIENT.clientSecret,
): Promise<Response> {
  const body = new URLSearchParams(form);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (auth === 'basic') headers.authorization = `Basic ${Buffer.from(`${CLIENT.clientId}:${secret}`).toString('base64')}`;
  if (auth === 'post') {
    body.set('client_id', CLIENT.clientId);
    body.set('client_secret', secret);
  }
  return fetch(`${sim.url}/token`, { method: 'POST', headers, body });
}

/** A three-legged token for `scope` on the line the request carries. */
export async function codeFlowToken(sim: OperatorSimulator, scope = 'openid number-verification:verify', headers: Record<string, string> = {}): Promise<string> {
  const back = await authorizeBack(sim, authParams({ scope }), headers);
  const res = await tokenRequest(sim, { grant_type: 'authorization_code', code: back.get('code')!, redirect_uri: REDIRECT });
  const json = (await res.json()) as { access_token: string };
  return json.access_token;
}

/** A CAMARA API call with a bearer token and a JSON body. */
export async function api(sim: OperatorSimulator, path: string, token: string | null, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body === undefined) return fetch(`${sim.url}${path}`, { headers });
  headers['content-type'] = 'application/json';
  return fetch(`${sim.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
}
