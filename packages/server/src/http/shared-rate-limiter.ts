/**
 * @module shared-rate-limiter
 * The per-client, per-second request budget counted in the database (`rate_counters`), so that N
 * instances on one PostgreSQL database grant the budget once, not N times. Each request is one
 * atomic `INSERT … ON CONFLICT DO UPDATE SET count = count + 1 RETURNING count`: concurrent
 * requests on any instance can neither lose a count nor both take the last unit. Once a window
 * is spent, this instance refuses the rest of that second without asking the database again.
 * SQLite (one instance) uses the in-process {@link RateLimiter} instead.
 */
import type { Clock } from '../ports/clock.js';
import type { Executor } from '../store/executor.js';

/** A request budget: `take` counts one request and returns null when allowed, else the seconds to wait. */
export interface RequestBudget {
  take(key: string): number | null | Promise<number | null>;
}

export class SharedRateLimiter implements RequestBudget {
  readonly #perSecond: number;
  readonly #clock: Clock;
  readonly #db: Executor;
  /** Keys whose current window is known to be spent, with that window's second. */
  readonly #spent = new Map<string, number>();

  constructor(perSecond: number, clock: Clock, db: Executor) {
    this.#perSecond = perSecond;
    this.#clock = clock;
    this.#db = db;
  }

  async take(key: string): Promise<number | null> {
    if (this.#perSecond <= 0) return null;
    const second = Math.floor(this.#clock.now() / 1000);
    if (this.#spent.get(key) === second) return 1;
    const row = await this.#db
      .insertInto('rate_counters')
      .values({ key, window_start: second * 1000, count: 1 })
      .onConflict((oc) => oc.columns(['key', 'window_start']).doUpdateSet((eb) => ({ count: eb('rate_counters.count', '+', 1) })))
      .returning('count')
      .executeTakeFirstOrThrow();
    if (row.count <= this.#perSecond) return null;
    if (this.#spent.size > 10_000) this.#spent.clear();
    this.#spent.set(key, second);
    return 1;
  }
}
