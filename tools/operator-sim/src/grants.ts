/**
 * @module grants
 * The simulator's authorization codes and access tokens: opaque random strings kept in memory,
 * each with its expiry. Codes are single-use; reusing one revokes the token it gave (RFC 6749
 * §4.1.2). Tokens from the authorization code flow are single-use too (CAMARA Number
 * Verification); client-credentials tokens may be reused until they expire.
 */
import { randomBytes } from 'node:crypto';

/** What an authorization code was issued for. */
export interface CodeGrant {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  /** The line the browser was on when the code was issued. */
  line: string;
  nonce: string | undefined;
  expiresAt: number;
}

/** What an access token allows. */
export interface TokenGrant {
  clientId: string;
  scopes: string[];
  /** The line of a three-legged token; null for client credentials. */
  line: string | null;
  singleUse: boolean;
  expiresAt: number;
}

/** Outcome of redeeming a code. */
export type Redeemed = { ok: true; grant: CodeGrant } | { ok: false; reason: 'unknown' | 'used' | 'expired' };

/** Outcome of looking a token up. */
export type Presented = { ok: true; grant: TokenGrant } | { ok: false; reason: 'unknown' | 'used' | 'expired' };

function opaque(): string {
  return randomBytes(32).toString('base64url');
}

/** In-memory codes and tokens, read against an injected clock. */
export class Grants {
  readonly #codes = new Map<string, { grant: CodeGrant; used: boolean; token?: string }>();
  readonly #tokens = new Map<string, { grant: TokenGrant; used: boolean }>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** A new code for `grant`. */
  issueCode(grant: CodeGrant): string {
    const code = opaque();
    this.#codes.set(code, { grant, used: false });
    return code;
  }

  /** Redeems a code once; a second redemption fails and revokes the token the first one gave. */
  redeemCode(code: string): Redeemed {
    const entry = this.#codes.get(code);
    if (!entry) return { ok: false, reason: 'unknown' };
    if (entry.used) {
      if (entry.token) this.#tokens.delete(entry.token);
      return { ok: false, reason: 'used' };
    }
    entry.used = true;
    if (this.#now() >= entry.grant.expiresAt) return { ok: false, reason: 'expired' };
    return { ok: true, grant: entry.grant };
  }

  /** A new access token; `fromCode` links it to the code for revocation on code reuse. */
  issueToken(grant: TokenGrant, fromCode?: string): string {
    const token = opaque();
    this.#tokens.set(token, { grant, used: false });
    const code = fromCode === undefined ? undefined : this.#codes.get(fromCode);
    if (code) code.token = token;
    return token;
  }

  /** Looks a token up and spends it when it is single-use. */
  presentToken(token: string): Presented {
    const entry = this.#tokens.get(token);
    if (!entry) return { ok: false, reason: 'unknown' };
    if (this.#now() >= entry.grant.expiresAt) return { ok: false, reason: 'expired' };
    if (entry.used) return { ok: false, reason: 'used' };
    if (entry.grant.singleUse) entry.used = true;
    return { ok: true, grant: entry.grant };
  }
}
