/**
 * @module access-tokens
 * OAuth client-credentials access tokens: opaque random strings, stored as SHA-256 hashes with
 * their client and expiry. Verified tokens are cached in-process until they expire, so an
 * authenticated request normally costs one hash and one map lookup.
 */
import { ACCESS_TOKEN_TTL_SECONDS } from '@handset/protocol';
import { sha256Hex } from '../lib/hash.js';
import type { Clock } from '../ports/clock.js';
import { randomToken, type Random } from '../ports/random.js';
import { findAccessToken, insertAccessToken } from '../store/clients-repo.js';
import type { Executor } from '../store/executor.js';

const PREFIX = 'hs_at_';
const CACHE_LIMIT = 10_000;

export interface IssuedAccessToken {
  accessToken: string;
  expiresIn: number;
}

export class AccessTokens {
  readonly #cache = new Map<string, { clientId: string; expiresAt: number }>();
  readonly #deps: { db: Executor; clock: Clock; random: Random };
  constructor(deps: { db: Executor; clock: Clock; random: Random }) {
    this.#deps = deps;
  }

  async issue(clientId: string): Promise<IssuedAccessToken> {
    const accessToken = PREFIX + randomToken(this.#deps.random);
    const expiresAt = this.#deps.clock.now() + ACCESS_TOKEN_TTL_SECONDS * 1000;
    await insertAccessToken(this.#deps.db, sha256Hex(accessToken), clientId, expiresAt);
    return { accessToken, expiresIn: ACCESS_TOKEN_TTL_SECONDS };
  }

  /** The client a bearer token belongs to, or null when unknown or expired. */
  async clientOf(accessToken: string): Promise<string | null> {
    if (!accessToken.startsWith(PREFIX)) return null;
    const now = this.#deps.clock.now();
    // Keyed by the token itself: a cache hit costs no hashing. Only verified tokens get in.
    let entry = this.#cache.get(accessToken);
    if (!entry) {
      const row = await findAccessToken(this.#deps.db, sha256Hex(accessToken));
      if (!row) return null;
      entry = { clientId: row.client_id, expiresAt: row.expires_at };
      if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
      this.#cache.set(accessToken, entry);
    }
    return entry.expiresAt > now ? entry.clientId : null;
  }
}
