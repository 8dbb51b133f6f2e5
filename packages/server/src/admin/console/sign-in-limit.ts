/**
 * @module admin/console/sign-in-limit
 * Failed console sign-ins per address: after {@link SIGN_IN_FAILURES} failures in
 * {@link SIGN_IN_WINDOW_SECONDS} the address is refused (429) until the window ends, even with the
 * right secret. Counted by rate-limiter-flexible through the platform's own limiter store
 * (http/limiter-store.ts: in memory on SQLite, in the `rate_limits` table on PostgreSQL, so every
 * instance sees the same count), as the `/token` failure bound is.
 */
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { addressKey } from '../../http/client-address.js';
import type { MakeLimiter } from '../../http/limiter-store.js';

/** Failed sign-ins an address may make per window. */
export const SIGN_IN_FAILURES = 10;
/** The window: 15 minutes from the first failure. */
export const SIGN_IN_WINDOW_SECONDS = 15 * 60;

export class SignInLimit {
  readonly #limiter: RateLimiterAbstract;

  constructor(makeLimiter: MakeLimiter, failures = SIGN_IN_FAILURES, windowSeconds = SIGN_IN_WINDOW_SECONDS) {
    this.#limiter = makeLimiter({ name: 'hs_adminSignInFailures', points: failures, durationSeconds: windowSeconds });
  }

  /** Seconds until `ip` may try again, or 0 when it may try now. */
  async retryAfterSeconds(ip: string): Promise<number> {
    const res = await this.#limiter.get(addressKey(ip));
    if (!res || res.consumedPoints < this.#limiter.points || res.msBeforeNext <= 0) return 0;
    return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  }

  /** Counts one failed sign-in from `ip`. */
  async recordFailure(ip: string): Promise<void> {
    try {
      await this.#limiter.consume(addressKey(ip));
    } catch (error) {
      // A spent budget rejects with a RateLimiterRes: the failure is counted all the same.
      if (!(error instanceof RateLimiterRes)) throw error;
    }
  }
}
