/**
 * @module limiter-store
 * Where the abuse bounds count: rate-limiter-flexible's `RateLimiterMemory` on SQLite (one
 * instance), `RateLimiterPostgres` on PostgreSQL, so that N instances grant each budget once.
 * The PostgreSQL limiter runs its queries through the platform's own Kysely pool (no second
 * pool, and a lost connection is the same 503 as for any query) on the `rate_limits` table,
 * which a migration creates and `purgeExpired` empties of expired windows.
 */
import { CompiledQuery, type Kysely } from 'kysely';
import { RateLimiterMemory, RateLimiterPostgres, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Dialect } from '../store/database.js';
import type { Database } from '../store/schema.js';

export interface LimiterSpec {
  /** Unique per budget: the key prefix of its rows. */
  name: string;
  /** Requests allowed per window. */
  points: number;
  /** Window length in seconds, from the key's first request. */
  durationSeconds: number;
}

export type MakeLimiter = (spec: LimiterSpec) => RateLimiterAbstract;

/** The `pg` client shape RateLimiterPostgres calls (`query({text, values})`), served by Kysely. */
function kyselyAsPgClient(kysely: Kysely<Database>): { query(q: { text: string; values?: unknown[] }): Promise<unknown> } {
  return {
    async query(q) {
      const result = await kysely.executeQuery(CompiledQuery.raw(q.text, q.values ?? []));
      return { rows: result.rows, rowCount: Number(result.numAffectedRows ?? result.rows.length) };
    },
  };
}

export function limiterStore(db: { kysely: Kysely<Database>; dialect: Dialect }): MakeLimiter {
  if (db.dialect === 'sqlite') {
    return (spec) => new RateLimiterMemory({ keyPrefix: spec.name, points: spec.points, duration: spec.durationSeconds });
  }
  const client = kyselyAsPgClient(db.kysely);
  return (spec) =>
    new RateLimiterPostgres({
      storeClient: client,
      storeType: 'client',
      tableName: 'rate_limits',
      tableCreated: true,
      clearExpiredByTimeout: false,
      keyPrefix: spec.name,
      points: spec.points,
      duration: spec.durationSeconds,
      // Once a window is spent, this instance refuses the rest of it without asking the database.
      inMemoryBlockOnConsumed: spec.points,
    });
}
