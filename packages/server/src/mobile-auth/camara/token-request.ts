/**
 * @module token-request
 * A token request at the operator's token endpoint with the client's authentication
 * (client_secret_basic or client_secret_post, as onboarding set it), for both grants Handset uses:
 * authorization_code (Number Verification) and client_credentials (SIM Swap).
 */
import { basicAuthorization, callOperator, type FetchLike, type OperatorFailure } from './operator-http.js';
import type { OperatorConfig } from './operator-config.js';

/** An access token and its lifetime in seconds (300 at most in CAMARA; no refresh token). */
export interface AccessToken {
  accessToken: string;
  expiresIn: number;
}

/** Posts `grant` to the token endpoint; the answer must be a Bearer token. */
export async function requestToken(
  fetchImpl: FetchLike,
  operator: OperatorConfig,
  tokenEndpoint: string,
  grant: Record<string, string>,
  signal: AbortSignal,
): Promise<{ ok: true; token: AccessToken } | { ok: false; failure: OperatorFailure }> {
  const form = new URLSearchParams(grant);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (operator.authMethod === 'client_secret_basic') {
    headers.authorization = basicAuthorization(operator.clientId, operator.clientSecret);
  } else {
    form.set('client_id', operator.clientId);
    form.set('client_secret', operator.clientSecret);
  }
  const answer = await callOperator(fetchImpl, tokenEndpoint, { method: 'POST', headers, body: form.toString() }, signal);
  if (!answer.ok) return answer;
  const { access_token: accessToken, token_type: tokenType, expires_in: expiresIn } = answer.json;
  if (typeof accessToken !== 'string' || accessToken === '' || typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
    return { ok: false, failure: { kind: 'malformed', status: answer.status } };
  }
  const lifetime = typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0 ? Math.min(expiresIn, 300) : 300;
  return { ok: true, token: { accessToken, expiresIn: lifetime } };
}
