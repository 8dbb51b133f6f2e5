/**
 * @module limiter-batch
 * Several rows of the `rate_limits` table (http/limiter-store.ts) counted or read in ONE statement
 * on PostgreSQL, where every round trip costs the process more than the statement itself: a send
 * that counts four counters makes one multi-row upsert instead of four single-row ones.
 *
 * Same rows and same window model as RateLimiterPostgres's own upsert (its `_upsert`): the row key
 * is the limiter's full key (`<keyPrefix>:<key>`), `expire` is in ms since the epoch, and a window
 * whose `expire` is due restarts at the points added (its `expire` moves to now + duration), so
 * rows counted here and rows counted by the limiter are one and the same counter.
 */
import { CompiledQuery, type Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

/** One counter row to add to: `points` (negative to take back), and its window length in ms. */
export interface LimiterRowAdd {
  key: string;
  points: number;
  windowMs: number;
}

export interface LimiterBatch {
  /** Adds every row's points; returns each key's count afterwards (rows of one key are summed). */
  add(rows: readonly LimiterRowAdd[]): Promise<Map<string, number>>;
  /** The count of each key whose window is running; a key without one is absent. */
  read(keys: readonly string[]): Promise<Map<string, number>>;
}

const upsertTexts = new Map<number, string>();

/**
 * The upsert of `rowCount` rows: `$1..$3` per row, then `now` last. The `set` expressions read the
 * row as it was (PostgreSQL evaluates them all against the old row), as in RateLimiterPostgres.
 */
function upsertText(rowCount: number): string {
  let text = upsertTexts.get(rowCount);
  if (text === undefined) {
    const values = Array.from({ length: rowCount }, (_, i) => `($${i * 3 + 1}, $${i * 3 + 2}, $${i * 3 + 3})`).join(', ');
    const now = `$${rowCount * 3 + 1}`;
    text =
      `insert into "rate_limits" as r (key, points, expire) values ${values} ` +
      `on conflict (key) do update set ` +
      `points = case when r.expire <= ${now} then excluded.points else r.points + excluded.points end, ` +
      `expire = case when r.expire <= ${now} then excluded.expire else r.expire end ` +
      `returning key, points`;
    upsertTexts.set(rowCount, text);
  }
  return text;
}

const READ_TEXT = 'select key, points from "rate_limits" where key = any($1::varchar[]) and (expire > $2 or expire is null)';

/**
 * One entry per key, points summed (an upsert may not touch one row twice), in key order: two
 * steps counting overlapping keys lock them in the same order, so they wait, never deadlock.
 */
function mergedByKey(rows: readonly LimiterRowAdd[]): LimiterRowAdd[] {
  const byKey = new Map<string, LimiterRowAdd>();
  for (const row of rows) {
    const seen = byKey.get(row.key);
    byKey.set(row.key, seen ? { ...seen, points: seen.points + row.points } : row);
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function countsOf(rows: readonly unknown[]): Map<string, number> {
  return new Map((rows as Array<{ key: string; points: number }>).map((r) => [r.key, Number(r.points)]));
}

/** The batch on `kysely`: the pool, or the step's transaction (policy/policy-counters.ts). */
export function postgresLimiterBatch(kysely: Kysely<Database>): LimiterBatch {
  return {
    async add(rows) {
      if (rows.length === 0) return new Map();
      // rate-limiter-flexible's clock (Date.now), so both paths agree on when a window is due.
      const now = Date.now();
      const merged = mergedByKey(rows);
      const values: unknown[] = merged.flatMap((r) => [r.key, r.points, now + r.windowMs]);
      values.push(now);
      return countsOf((await kysely.executeQuery(CompiledQuery.raw(upsertText(merged.length), values))).rows);
    },
    async read(keys) {
      if (keys.length === 0) return new Map();
      return countsOf((await kysely.executeQuery(CompiledQuery.raw(READ_TEXT, [[...new Set(keys)], Date.now()]))).rows);
    },
  };
}
