/**
 * @module window-counters
 * Named counters over fixed windows, shared by every instance: rate-limiter-flexible used as a
 * counter (it never refuses: the policy decides), through http/limiter-store.ts: in memory on
 * SQLite (one instance), in the `rate_limits` table on PostgreSQL (atomic upserts; counted in the
 * step's transaction, policy/policy-counters.ts). A window starts at a key's first count
 * (rate-limiter-flexible's model). Every policy counter (sends, verifications, uses, budgets)
 * goes through here, so there is one place that knows the store.
 */
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { MakeLimiter } from '../http/limiter-store.js';

/** Never refuses. Also the most a key can count in a window: the PostgreSQL column is an `integer`. */
const UNBOUNDED = 2 ** 31 - 1;

export const WINDOW_SECONDS = { '1h': 3600, '24h': 86_400 } as const;
export type Window = keyof typeof WINDOW_SECONDS;

export class WindowCounters {
  readonly #limiters = new Map<string, RateLimiterAbstract>();
  readonly #make: MakeLimiter;

  constructor(make: MakeLimiter) {
    this.#make = make;
  }

  /** `name` is the key prefix of the counter's rows (e.g. `policy:sends_per_number_1h`). */
  #limiter(name: string, seconds: number): RateLimiterAbstract {
    let limiter = this.#limiters.get(name);
    if (!limiter) {
      limiter = this.#make({ name, points: UNBOUNDED, durationSeconds: seconds });
      this.#limiters.set(name, limiter);
    }
    return limiter;
  }

  /** Adds `points` under `key` and returns the count in the window, these points included. */
  async add(name: string, seconds: number, key: string, points = 1): Promise<number> {
    return (await this.#limiter(name, seconds).consume(key, points)).consumedPoints;
  }

  /** The count under `key` in the window (0 when none), counting nothing. */
  async read(name: string, seconds: number, key: string): Promise<number> {
    return (await this.#limiter(name, seconds).get(key))?.consumedPoints ?? 0;
  }

  /** Takes `points` back (a send counted before the decision that did not go out). */
  async remove(name: string, seconds: number, key: string, points = 1): Promise<void> {
    await this.#limiter(name, seconds).reward(key, points);
  }
}
