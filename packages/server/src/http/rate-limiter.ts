/**
 * @module rate-limiter
 * A per-client, per-second request budget for the server API (Prove documents 25 requests/s).
 * In-process: each instance counts its own requests (the SQLite mode: one instance). 0 turns it
 * off. On PostgreSQL the budget is shared by all instances: see shared-rate-limiter.ts.
 */
import type { Clock } from '../ports/clock.js';

export class RateLimiter {
  readonly #windows = new Map<string, { second: number; count: number }>();
  readonly #perSecond: number;
  readonly #clock: Clock;
  constructor(perSecond: number, clock: Clock) {
    this.#perSecond = perSecond;
    this.#clock = clock;
  }

  /** Counts one request; returns null when allowed, else the seconds to wait. */
  take(key: string): number | null {
    if (this.#perSecond <= 0) return null;
    const second = Math.floor(this.#clock.now() / 1000);
    const window = this.#windows.get(key);
    if (!window || window.second !== second) {
      if (this.#windows.size > 10_000) this.#windows.clear();
      this.#windows.set(key, { second, count: 1 });
      return null;
    }
    window.count += 1;
    return window.count > this.#perSecond ? 1 : null;
  }
}
