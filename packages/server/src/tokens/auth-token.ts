/**
 * @module auth-token
 * The client authToken: an ES256 JWT with an `atob`-safe payload (decision C2), bound to one
 * session by `auth.id` and `jti`. The browser SDK never verifies it; the platform does on every
 * client call and socket.
 */
import type { AuthTokenClaims } from '@handset/protocol';
import { CompactSign, compactVerify } from 'jose';
import { atobSafeJson } from './atob-safe-json.js';
import type { SigningKey } from './signing-key.js';

const encoder = new TextEncoder();

export async function signAuthToken(claims: AuthTokenClaims, key: SigningKey): Promise<string> {
  return new CompactSign(encoder.encode(atobSafeJson(claims)))
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: key.kid })
    .sign(key.privateKey);
}

/** Why a token was refused; never includes the token itself. */
export type AuthTokenProblem = 'malformed' | 'bad_signature' | 'expired';

export type VerifiedAuthToken = { ok: true; claims: AuthTokenClaims } | { ok: false; problem: AuthTokenProblem };

/**
 * Verifies signature and expiry. Verified tokens are cached (the verify is ~0.2 ms of CPU and the
 * same token arrives on every call of a flow).
 */
export class AuthTokenVerifier {
  readonly #cache = new Map<string, AuthTokenClaims>();
  readonly #key: SigningKey;
  constructor(key: SigningKey) {
    this.#key = key;
  }

  async verify(token: string, nowMs: number): Promise<VerifiedAuthToken> {
    let claims = this.#cache.get(token);
    if (!claims) {
      try {
        const { payload } = await compactVerify(token, this.#key.publicKey, { algorithms: ['ES256'] });
        claims = JSON.parse(new TextDecoder().decode(payload)) as AuthTokenClaims;
      } catch (error) {
        const name = (error as { code?: string }).code;
        return { ok: false, problem: name === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' ? 'bad_signature' : 'malformed' };
      }
      if (typeof claims?.auth?.id !== 'string' || typeof claims.exp !== 'number' || typeof claims.jti !== 'string') {
        return { ok: false, problem: 'malformed' };
      }
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(token, claims);
    }
    if (claims.exp * 1000 <= nowMs) return { ok: false, problem: 'expired' };
    return { ok: true, claims };
  }
}
