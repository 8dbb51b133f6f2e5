/**
 * @module access-tokens
 * OAuth client-credentials access tokens: opaque random strings, stored as SHA-256 hashes with
 * their client and expiry. Verified tokens are cached in-process until they expire, so an
 * authenticated request normally costs one hash and one map lookup.
 *
 * `/token` hands out the same token again while it has more than 5 minutes left, instead of
 * writing a row per request. The database only has hashes, so the plaintext of the live token
 * is kept in this instance's memory, per client and per secret. Trade-off: every holder of the
 * credentials gets the same token during its life (a caller cannot get a fresh token to replace
 * one it fears leaked, short of rotating the secret, which starts a new token), and the plaintext
 * sits in process memory, where the verification cache already keeps verified tokens. In return
 * a client with valid credentials writes at most one row per instance per ~55 minutes, where it
 * could write thousands per second. Capping rows per client instead would revoke the tokens of
 * an integrator running many back-end instances.
 */
import { ACCESS_TOKEN_TTL_SECONDS } from '@handset/protocol';
import { sha256Hex } from '../lib/hash.js';
import type { Clock } from '../ports/clock.js';
import { randomToken, type Random } from '../ports/random.js';
import { findAccessToken, insertAccessToken } from '../store/clients-repo.js';
import type { Executor } from '../store/executor.js';

const PREFIX = 'hs_at_';
const CACHE_LIMIT = 10_000;
/** A token is handed out again only while it has more than this left. */
const REUSE_MIN_REMAINING_MS = 5 * 60 * 1000;

export interface IssuedAccessToken {
  accessToken: string;
  expiresIn: number;
}

interface LiveToken {
  accessToken: string;
  expiresAt: number;
}

/** `expires_in` counted from when the request came: a token minted for it says exactly the TTL. */
function answer(token: LiveToken, requestedAt: number): IssuedAccessToken {
  const left = Math.floor((token.expiresAt - requestedAt) / 1000);
  return { accessToken: token.accessToken, expiresIn: Math.min(ACCESS_TOKEN_TTL_SECONDS, left) };
}

export class AccessTokens {
  readonly #cache = new Map<string, { clientId: string; expiresAt: number }>();
  /** The token handed out per client and secret (`clientId:secretHash`): in memory only. */
  readonly #live = new Map<string, LiveToken>();
  /** Inserts in flight, so that concurrent requests of one client share one row. */
  readonly #minting = new Map<string, Promise<LiveToken>>();
  readonly #deps: { db: Executor; clock: Clock; random: Random };
  constructor(deps: { db: Executor; clock: Clock; random: Random }) {
    this.#deps = deps;
  }

  /**
   * A token for a client whose credentials were just checked; `secretHash` is the hash of the
   * secret presented, so a rotated secret never receives a token issued under the old one.
   */
  async issue(clientId: string, secretHash: string): Promise<IssuedAccessToken> {
    const key = `${clientId}:${secretHash}`;
    const now = this.#deps.clock.now();
    const live = this.#live.get(key);
    if (live && live.expiresAt - now > REUSE_MIN_REMAINING_MS) return answer(live, now);
    let minting = this.#minting.get(key);
    if (!minting) {
      minting = this.#mint(clientId).finally(() => this.#minting.delete(key));
      this.#minting.set(key, minting);
    }
    const token = await minting;
    if (this.#live.size >= CACHE_LIMIT) this.#live.clear();
    this.#live.set(key, token);
    return answer(token, now);
  }

  async #mint(clientId: string): Promise<LiveToken> {
    const accessToken = PREFIX + randomToken(this.#deps.random);
    const expiresAt = this.#deps.clock.now() + ACCESS_TOKEN_TTL_SECONDS * 1000;
    await insertAccessToken(this.#deps.db, sha256Hex(accessToken), clientId, expiresAt);
    return { accessToken, expiresAt };
  }

  /**
   * Drops this instance's cached tokens of a client (it was just disabled), so they are looked up
   * again, find no row, and are refused. Other instances drop theirs when the tokens expire.
   */
  forgetClient(clientId: string): void {
    for (const [token, entry] of this.#cache) if (entry.clientId === clientId) this.#cache.delete(token);
    for (const key of this.#live.keys()) if (key.startsWith(`${clientId}:`)) this.#live.delete(key);
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
