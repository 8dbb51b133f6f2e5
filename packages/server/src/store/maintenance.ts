/**
 * @module maintenance
 * Periodic clean-up: expired access tokens and challenges, sessions past their retention (with
 * their timeline events), and request-budget windows older than a minute, and abuse-bound windows
 * that have ended, and admin API tokens and console sessions that have ended.
 */
import { purgeAdminSessions } from '../admin/admin-sessions.js';
import { purgeAdminTokens } from '../admin/admin-tokens.js';
import type { Kysely } from 'kysely';
import type { Executor } from './executor.js';
import type { Database } from './schema.js';

/** Ids per `in (…)` list: far below SQLite's and PostgreSQL's parameter limits. */
const CHUNK = 500;

/**
 * Sessions past their retention and their timelines. The sessions go first: once a session row
 * is gone no step can find it to add an event (a step holding its row lock finishes first), so
 * deleting the events of the ids returned leaves none behind. One transaction where possible.
 */
async function purgeSessionsWithEvents(q: Executor, now: number): Promise<void> {
  const work = async (trx: Executor): Promise<void> => {
    const purged = await trx.deleteFrom('sessions').where('purge_at', '<=', now).returning('correlation_id').execute();
    for (let i = 0; i < purged.length; i += CHUNK) {
      const ids = purged.slice(i, i + CHUNK).map((r) => r.correlation_id);
      await trx.deleteFrom('session_events').where('correlation_id', 'in', ids).execute();
    }
  };
  if (q.isTransaction) await work(q);
  else await (q as Kysely<Database>).transaction().execute(work);
}

export async function purgeExpired(q: Executor, now: number): Promise<void> {
  await purgeSessionsWithEvents(q, now);
  await q.deleteFrom('access_tokens').where('expires_at', '<=', now).execute();
  await q.deleteFrom('challenges').where('expires_at', '<=', now).execute();
  await q.deleteFrom('rate_counters').where('window_start', '<', now - 60_000).execute();
  await q.deleteFrom('rate_limits').where('expire', '<', now).execute();
  await purgeAdminTokens(q, now);
  await purgeAdminSessions(q, now);
}
