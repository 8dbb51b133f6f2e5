/**
 * @module abuse-limits
 * The named budgets that bound everything reachable without a client secret, and `/token`.
 * Each is a fixed window counted by rate-limiter-flexible (see limiter-store.ts); a spent budget
 * is answered 429 `{code: 8012, message}` with `Retry-After`. A budget configured as 0 is off.
 */
import { CHALLENGE_TTL_SECONDS } from '@handset/protocol';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { AbuseLimits as AbuseLimitsConfig } from '../config.js';
import { apiError } from './api-error.js';
import type { MakeLimiter } from './limiter-store.js';

const MINUTE = 60;
const TOKEN_FAILURE_WINDOW_SECONDS = 15 * MINUTE;

/** Which budget a request spends from; the key says whose (an address, a session, a client id). */
export type Budget =
  | 'publicPerIp'
  | 'publicGlobal'
  | 'challengesPerIp'
  | 'session'
  | 'tokenPerClient'
  | 'tokenPerIp'
  | 'tokenFailuresPerIp';

const WHAT: Record<Budget, string> = {
  publicPerIp: 'too many requests from this address',
  publicGlobal: 'too many unauthenticated requests to the platform',
  challengesPerIp: 'too many new challenges for this address',
  session: 'too many requests in this session',
  tokenPerClient: 'too many token requests for this client',
  tokenPerIp: 'too many token requests from this address',
  tokenFailuresPerIp: 'too many failed token requests from this address',
};

function retryAfterSeconds(res: RateLimiterRes): string {
  return String(Math.max(1, Math.ceil(res.msBeforeNext / 1000)));
}

function limited(budget: Budget, res: RateLimiterRes): Error {
  return apiError('RATE_LIMITED', `${WHAT[budget]}; retry after the time in Retry-After`, { 'retry-after': retryAfterSeconds(res) });
}

export class AbuseLimits {
  readonly #limiters: Partial<Record<Budget, RateLimiterAbstract>> = {};

  constructor(config: Readonly<AbuseLimitsConfig>, makeLimiter: MakeLimiter) {
    const specs: Record<Budget, [points: number, durationSeconds: number]> = {
      publicPerIp: [config.publicPerIpPerMinute, MINUTE],
      publicGlobal: [config.publicGlobalPerMinute, MINUTE],
      // Over the challenge lifetime: an address never has more live challenge rows than this.
      challengesPerIp: [config.challengesPerIp, CHALLENGE_TTL_SECONDS],
      session: [config.sessionPerMinute, MINUTE],
      tokenPerClient: [config.tokenPerClientPerMinute, MINUTE],
      tokenPerIp: [config.tokenPerIpPerMinute, MINUTE],
      tokenFailuresPerIp: [config.tokenFailuresPerIp, TOKEN_FAILURE_WINDOW_SECONDS],
    };
    for (const [budget, [points, durationSeconds]] of Object.entries(specs) as Array<[Budget, [number, number]]>) {
      if (points > 0) this.#limiters[budget] = makeLimiter({ name: `hs_${budget}`, points, durationSeconds });
    }
  }

  /** Spends one request from `key`'s budget; throws 429 when it is spent. */
  async take(budget: Budget, key: string): Promise<void> {
    const limiter = this.#limiters[budget];
    if (!limiter) return;
    try {
      await limiter.consume(key);
    } catch (error) {
      // The limiter rejects with a RateLimiterRes when the budget is spent, with an Error when its store failed.
      if (error instanceof RateLimiterRes) throw limited(budget, error);
      throw error;
    }
  }

  /** Throws 429 when `key`'s budget is already spent, without spending from it. */
  async check(budget: Budget, key: string): Promise<void> {
    const limiter = this.#limiters[budget];
    if (!limiter) return;
    const res = await limiter.get(key);
    if (res && res.consumedPoints >= limiter.points && res.msBeforeNext > 0) throw limited(budget, res);
  }

  /** Counts one event (a failure) against `key`'s budget without refusing anything now. */
  async record(budget: Budget, key: string): Promise<void> {
    await this.#limiters[budget]?.penalty(key);
  }
}
