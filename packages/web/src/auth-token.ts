/**
 * @module auth-token
 * Reads the authToken the way the protocol requires (`client-protocol.md` §1.1–1.2): the payload
 * segment is base64-decoded without verifying anything (the server verifies its own token) and the
 * claims the SDK needs are checked, so a malformed token fails fast instead of hanging.
 */
import type { AuthTokenClaims } from '@handset/protocol/browser';
import { base64ToBytes } from './encoding.js';
import { AuthError } from './errors.js';

function invalid(reason: string): AuthError {
  return new AuthError(`Invalid authToken: ${reason}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Decodes and checks the claims of an authToken. Error messages never contain the token. */
export function decodeAuthToken(token: unknown): AuthTokenClaims {
  if (typeof token !== 'string' || token === '') throw invalid('not a non-empty string');
  const payload = token.split('.')[1];
  if (!payload) throw invalid('not a JWT');
  let claims: unknown;
  try {
    claims = JSON.parse(new TextDecoder().decode(base64ToBytes(payload)));
  } catch {
    throw invalid('payload is not base64 JSON');
  }
  if (!isObject(claims) || !isObject(claims.auth)) throw invalid('missing auth claim');
  const auth = claims.auth;
  if (!isObject(auth.subs)) throw invalid('missing auth.subs');
  for (const key of ['id', 'ans', 'endp'] as const) {
    if (typeof auth[key] !== 'string' || auth[key] === '') throw invalid(`missing auth.${key}`);
  }
  if (!/^https?:\/\/[^/?#]/i.test(auth.endp as string)) throw invalid('auth.endp is not an http(s) URL');
  return claims as unknown as AuthTokenClaims;
}
