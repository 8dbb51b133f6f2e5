/**
 * @module auth-token
 * The client authToken: an ES256 JWT with an `atob`-safe payload (decision C2), bound to one
 * session by `auth.id` and `jti`. The browser SDK never verifies it; the platform does on every
 * client call and socket.
 *
 * Signed and verified with node:crypto directly (JWS compact serialisation, RFC 7515): the
 * synchronous KeyObject path costs a fraction of a WebCrypto round trip, and `/v3/unify` mints one
 * token per call.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import type { AuthTokenClaims } from '@handset/protocol';
import { atobSafeJson } from './atob-safe-json.js';
import type { SigningKey } from './signing-key.js';

const b64url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

export function signAuthToken(claims: AuthTokenClaims, key: SigningKey): string {
  return signPayload(atobSafeJson(claims), key);
}

/** Signs the claims already serialised as `payload` (so a caller that needs the text too makes it once). */
function signPayload(payload: string, key: SigningKey): string {
  const input = `${b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: key.kid }))}.${b64url(payload)}`;
  const signature = sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** Why a token was refused; never includes the token itself. */
export type AuthTokenProblem = 'malformed' | 'bad_signature' | 'expired';

export type VerifiedAuthToken = { ok: true; claims: AuthTokenClaims } | { ok: false; problem: AuthTokenProblem };

const SEGMENT = /^[A-Za-z0-9_-]+$/;

function decodeVerified(token: string, key: Pick<SigningKey, 'publicKey'>): VerifiedAuthToken {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p))) return { ok: false, problem: 'malformed' };
  const [header, payload, signature] = parts as [string, string, string];
  let alg: unknown;
  try {
    alg = (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown }).alg;
  } catch {
    return { ok: false, problem: 'malformed' };
  }
  if (alg !== 'ES256') return { ok: false, problem: 'malformed' };
  const valid = verify(
    'sha256',
    Buffer.from(`${header}.${payload}`),
    { key: key.publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  );
  if (!valid) return { ok: false, problem: 'bad_signature' };
  let claims: AuthTokenClaims;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as AuthTokenClaims;
  } catch {
    return { ok: false, problem: 'malformed' };
  }
  if (typeof claims?.auth?.id !== 'string' || typeof claims.exp !== 'number' || typeof claims.jti !== 'string') {
    return { ok: false, problem: 'malformed' };
  }
  return { ok: true, claims };
}

/** Verified tokens kept at most (about the live sessions of 10 minutes at 15 new sessions a second). */
const CACHE_LIMIT = 10_000;

/**
 * Verifies signature and expiry. Verified tokens are cached: the same token arrives on every call
 * of a flow, and a token this instance minted ({@link AuthTokenVerifier.issue}) is cached from the
 * start. The cache holds live tokens only: an expired one is dropped, and when full the oldest
 * goes, so memory follows the sessions in progress instead of growing until a limit.
 * `accepted` public keys are tried after the signing key's (key rotation across instances).
 */
export class AuthTokenVerifier {
  readonly #cache = new Map<string, AuthTokenClaims>();
  readonly #key: SigningKey;
  readonly #accepted: ReadonlyArray<Pick<SigningKey, 'publicKey'>>;
  readonly #limit: number;
  constructor(key: SigningKey, accepted: readonly KeyObject[] = [], options: { cacheLimit?: number } = {}) {
    this.#key = key;
    this.#accepted = accepted.map((publicKey) => ({ publicKey }));
    this.#limit = options.cacheLimit ?? CACHE_LIMIT;
  }

  /**
   * Signs `claims` with the signing key and caches the token as verified: the instance that mints
   * a token (at `/v3/unify`) needs no ECDSA verification at its first client call (measured: one
   * of the two verifications of a mobile flow; bench/README.md). An instance that did not mint it
   * verifies it at its first use, as before.
   *
   * @example
   * const authToken = deps.authTokens.issue(claims, deps.clock.now());
   */
  issue(claims: AuthTokenClaims, nowMs: number): string {
    const payload = atobSafeJson(claims);
    const token = signPayload(payload, this.#key);
    // The cached claims are what a verification would decode, not the caller's object (which it may still change).
    const decoded = JSON.parse(payload) as AuthTokenClaims;
    if (decoded.exp * 1000 > nowMs) this.#remember(token, decoded, nowMs);
    return token;
  }

  /** How many verified tokens are cached. */
  get cached(): number {
    return this.#cache.size;
  }

  verify(token: string, nowMs: number): VerifiedAuthToken {
    let claims = this.#cache.get(token);
    if (!claims) {
      let result = decodeVerified(token, this.#key);
      for (const key of this.#accepted) {
        if (result.ok || result.problem !== 'bad_signature') break;
        result = decodeVerified(token, key);
      }
      if (!result.ok) return result;
      claims = result.claims;
      if (claims.exp * 1000 <= nowMs) return { ok: false, problem: 'expired' };
      this.#remember(token, claims, nowMs);
    }
    if (claims.exp * 1000 <= nowMs) {
      this.#cache.delete(token);
      return { ok: false, problem: 'expired' };
    }
    return { ok: true, claims };
  }

  #remember(token: string, claims: AuthTokenClaims, nowMs: number): void {
    this.#forgetExpired(nowMs);
    if (this.#cache.size >= this.#limit) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(token, claims);
  }

  /**
   * Every authToken lives as long as its session, and a token is cached when it is minted or at
   * its first call, so the cache's insertion order is close to expiry order: drop from the oldest
   * while they have expired.
   */
  #forgetExpired(nowMs: number): void {
    for (const [token, claims] of this.#cache) {
      if (claims.exp * 1000 > nowMs) return;
      this.#cache.delete(token);
    }
  }
}
