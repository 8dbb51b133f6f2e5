/**
 * @module oidc
 * The simulator's OpenID Connect side: discovery, the authorization endpoint (code flow, no user
 * interaction: the line is recognised or the answer is an error redirect) and the token endpoint
 * (authorization_code and client_credentials; client_secret_basic or client_secret_post).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AUTHORIZE_SCOPES, CLIENT_CREDENTIALS_SCOPES, E164, type SimContext } from './context.js';
import { basicCredentials, readBody, redirect, sendJson, sendText } from './http-util.js';
import type { SimulatorClient } from './options.js';

/** `GET /.well-known/openid-configuration`. */
export function discovery(ctx: SimContext, res: ServerResponse): void {
  const issuer = ctx.origin();
  sendJson(res, 200, {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'client_credentials'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['HS256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    scopes_supported: ['openid', ...AUTHORIZE_SCOPES],
    prompt_values_supported: ['none'],
  });
}

/** The redirect back to the client with `params` added to its query (RFC 6749 §4.1.2). */
function back(res: ServerResponse, redirectUri: string, params: Record<string, string | undefined>): void {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  redirect(res, url.href);
}

/** A login_hint CAMARA accepts: `+E164`, `tel:+E164`, or an `ipport:` hint (not used here). */
function validLoginHint(hint: string): boolean {
  return E164.test(hint) || (hint.startsWith('tel:') && E164.test(hint.slice(4))) || hint.startsWith('ipport:');
}

/**
 * `GET /authorize`. Errors about the client or its redirect URI are shown, never redirected
 * (the redirect URI cannot be trusted then, RFC 6749 §4.1.2.1); every other error goes back to
 * the redirect URI with `error` and the `state`.
 */
export function authorize(ctx: SimContext, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
  const clientId = query.get('client_id') ?? '';
  const redirectUri = query.get('redirect_uri') ?? '';
  const client = ctx.client(clientId);
  if (!client) return sendText(res, 400, 'unknown client_id');
  if (!client.redirectUris.includes(redirectUri)) return sendText(res, 400, 'redirect_uri is not registered for this client');
  const state = query.get('state') ?? undefined;
  const fail = (error: string, description: string): void => back(res, redirectUri, { error, error_description: description, state });

  if (query.get('response_type') !== 'code') return fail('unsupported_response_type', 'response_type must be code');
  const scopes = (query.get('scope') ?? '').split(' ').filter(Boolean);
  if (!scopes.includes('openid')) return fail('invalid_scope', 'scope must include openid');
  const apiScopes = scopes.filter((s) => s !== 'openid');
  if (apiScopes.length === 0 || apiScopes.some((s) => !AUTHORIZE_SCOPES.has(s))) return fail('invalid_scope', 'unknown or missing scope');
  const hint = query.get('login_hint');
  if (hint !== null && !validLoginHint(hint)) return fail('invalid_request', 'login_hint is not a phone number or ipport');
  const prompt = query.get('prompt');
  if (prompt !== null && prompt !== 'none') return fail('invalid_request', 'only prompt=none is supported');

  const line = ctx.lineOf(req);
  if (line === null) {
    // OIDC Core §3.1.2.6: with prompt=none and no way to authenticate silently, login_required.
    return prompt === 'none' ? fail('login_required', 'the line is not recognised') : fail('access_denied', 'the line is not recognised');
  }
  const code = ctx.grants.issueCode({
    clientId,
    redirectUri,
    scopes: apiScopes,
    line,
    nonce: query.get('nonce') ?? undefined,
    expiresAt: ctx.now() + ctx.codeTtlSeconds * 1000,
  });
  back(res, redirectUri, { code, state });
}

function oauthError(res: ServerResponse, status: number, error: string, description: string): void {
  sendJson(res, status, { error, error_description: description }, status === 401 ? { 'www-authenticate': 'Basic realm="operator-sim"' } : {});
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The client a token request authenticates as, or an answer already sent (null). */
function authenticate(ctx: SimContext, req: IncomingMessage, res: ServerResponse, form: URLSearchParams): SimulatorClient | null {
  const basic = basicCredentials(req);
  const postId = form.get('client_id');
  const postSecret = form.get('client_secret');
  if (basic === 'invalid') {
    oauthError(res, 401, 'invalid_client', 'unreadable Basic credentials');
    return null;
  }
  if (basic && postSecret !== null) {
    // RFC 6749 §2.3: a client MUST NOT use more than one authentication method per request.
    oauthError(res, 400, 'invalid_request', 'more than one client authentication method');
    return null;
  }
  const id = basic ? basic.id : postId;
  const secret = basic ? basic.secret : postSecret;
  const client = id === null ? undefined : ctx.client(id);
  if (!client || secret === null || !sameSecret(secret, client.clientSecret)) {
    oauthError(res, 401, 'invalid_client', 'client authentication failed');
    return null;
  }
  return client;
}

/** An ID token signed HS256 with the client secret (OIDC Core §10.1); the subject is pairwise, never the number. */
function idToken(ctx: SimContext, client: SimulatorClient, line: string, nonce: string | undefined): string {
  const now = Math.floor(ctx.now() / 1000);
  const sub = createHmac('sha256', 'operator-sim-sub').update(`${client.clientId}|${line}`).digest('base64url');
  const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ iss: ctx.origin(), sub, aud: client.clientId, iat: now, exp: now + ctx.tokenTtlSeconds, ...(nonce ? { nonce } : {}) })}`;
  return `${body}.${createHmac('sha256', client.clientSecret).update(body).digest('base64url')}`;
}

/** `POST /token`. */
export async function token(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!/^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) {
    return oauthError(res, 400, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
  }
  const form = new URLSearchParams(await readBody(req));
  const client = authenticate(ctx, req, res, form);
  if (!client) return;
  const expiresAt = ctx.now() + ctx.tokenTtlSeconds * 1000;
  const grantType = form.get('grant_type');
  if (grantType === 'authorization_code') {
    const code = form.get('code');
    if (!code) return oauthError(res, 400, 'invalid_request', 'code is missing');
    const redeemed = ctx.grants.redeemCode(code);
    if (!redeemed.ok) return oauthError(res, 400, 'invalid_grant', `the code is ${redeemed.reason === 'unknown' ? 'not valid' : redeemed.reason}`);
    const grant = redeemed.grant;
    if (grant.clientId !== client.clientId) return oauthError(res, 400, 'invalid_grant', 'the code was issued to another client');
    if (form.get('redirect_uri') !== grant.redirectUri) return oauthError(res, 400, 'invalid_grant', 'redirect_uri does not match the authorization request');
    const accessToken = ctx.grants.issueToken({ clientId: client.clientId, scopes: grant.scopes, line: grant.line, singleUse: true, expiresAt }, code);
    return sendJson(res, 200, {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: ctx.tokenTtlSeconds,
      scope: ['openid', ...grant.scopes].join(' '),
      id_token: idToken(ctx, client, grant.line, grant.nonce),
    });
  }
  if (grantType === 'client_credentials') {
    const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
    if (scopes.length === 0 || scopes.some((s) => !CLIENT_CREDENTIALS_SCOPES.has(s))) return oauthError(res, 400, 'invalid_scope', 'unknown or missing scope');
    const accessToken = ctx.grants.issueToken({ clientId: client.clientId, scopes, line: null, singleUse: false, expiresAt });
    return sendJson(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: ctx.tokenTtlSeconds, scope: scopes.join(' ') });
  }
  oauthError(res, 400, 'unsupported_grant_type', 'grant_type must be authorization_code or client_credentials');
}
