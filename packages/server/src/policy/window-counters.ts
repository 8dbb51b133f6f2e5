/**
 * @module window-counters
 * Named counters over fixed windows, shared by every instance: rate-limiter-flexible used as a
 * counter (it never refuses: the policy decides), through http/limiter-store.ts: in memory on
 * SQLite (one instance), in the `rate_limits` table on PostgreSQL (atomic upserts; counted in the
 * step's transaction, policy/policy-counters.ts). A window starts at a key's first count
 * (rate-limiter-flexible's model). Every policy counter (sends, verifications, uses, budgets)
 * goes through here, so there is one place that knows the store.
 *
 * Several counters counted (or read) at one point go through `addMany` / `readMany` /
 * `removeMany`: on PostgreSQL one statement for all of them (http/limiter-batch.ts, the same rows
 * the single-key methods use), in memory the single-key methods one after the other.
 */
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { LimiterBatch } from '../http/limiter-batch.js';
import type { MakeLimiter } from '../http/limiter-store.js';

/** Never refuses. Also the most a key can count in a window: the PostgreSQL column is an `integer`. */
const UNBOUNDED = 2 ** 31 - 1;

export const WINDOW_SECONDS = { '1h': 3600, '24h': 86_400 } as const;
export type Window = keyof typeof WINDOW_SECONDS;

/** One counter: `name` is the key prefix of its rows, `seconds` its window, `key` what it counts. */
export interface CounterRef {
  name: string;
  seconds: number;
  key: string;
}

/** Points to add to a counter (1 when left out; 0 reads it and starts its window if none runs). */
export interface CounterAdd extends CounterRef {
  points?: number;
}

export class WindowCounters {
  readonly #limiters = new Map<string, RateLimiterAbstract>();
  readonly #make: MakeLimiter;
  readonly #batch: LimiterBatch | null;

  /** `batch`: the store's one-statement path (PostgreSQL); without it, the limiters one by one. */
  constructor(make: MakeLimiter, batch: LimiterBatch | null = null) {
    this.#make = make;
    this.#batch = batch;
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

  /**
   * Adds to several counters at once and returns each one's count, as `add` would one after the
   * other in this order (a counter named twice counts both, the first count without the second).
   */
  async addMany(counters: readonly CounterAdd[]): Promise<number[]> {
    if (!this.#batch || counters.length === 0) return Promise.all(counters.map((c) => this.add(c.name, c.seconds, c.key, c.points)));
    const rows = counters.map((c) => this.#row(c, c.points ?? 1));
    const totals = await this.#batch.add(rows);
    // Walking back from the end: a row's count is its key's total less what later rows added.
    const later = new Map<string, number>();
    const counts: number[] = new Array(rows.length);
    for (let i = rows.length - 1; i >= 0; i--) {
      const { key, points } = rows[i]!;
      const after = later.get(key) ?? 0;
      counts[i] = totals.get(key)! - after;
      later.set(key, after + points);
    }
    return counts;
  }

  /** Each counter's count in its window (0 when none), counting nothing. */
  async readMany(counters: readonly CounterRef[]): Promise<number[]> {
    if (!this.#batch || counters.length === 0) return Promise.all(counters.map((c) => this.read(c.name, c.seconds, c.key)));
    const keys = counters.map((c) => this.#row(c, 0).key);
    const found = await this.#batch.read(keys);
    return keys.map((key) => found.get(key) ?? 0);
  }

  /** Takes points back from several counters at once (see `remove`). */
  async removeMany(counters: readonly CounterAdd[]): Promise<void> {
    if (!this.#batch) {
      await Promise.all(counters.map((c) => this.remove(c.name, c.seconds, c.key, c.points)));
      return;
    }
    await this.addMany(counters.map((c) => ({ ...c, points: -(c.points ?? 1) })));
  }

  /**
   * The row a counter lives in: the key rate-limiter-flexible's `getKey` makes (`<keyPrefix>:<key>`),
   * so both paths share it, without building a limiter (a PostgreSQL step's counters are new each step).
   */
  #row(counter: CounterRef, points: number): { key: string; points: number; windowMs: number } {
    return { key: `${counter.name}:${counter.key}`, points, windowMs: counter.seconds * 1000 };
  }
}
