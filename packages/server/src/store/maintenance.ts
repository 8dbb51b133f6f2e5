/**
 * @module maintenance
 * Periodic clean-up: expired access tokens and challenges, sessions past their retention (with
 * their timeline events), and request-budget windows older than a minute, and abuse-bound windows
 * that have ended, and admin API tokens and console sessions that have ended, and the bodies of
 * courier messages that can no longer be used.
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

/** How long a courier message without a session keeps its body. */
const UNATTACHED_BODY_MS = 24 * 3_600_000;

/**
 * Blanks the bodies (codes, links) of courier messages once they cannot be used: their session
 * ended, expired or is gone. Kept: masked-number material, status, provider, timing. Messages still
 * queued or sending keep theirs (the dispatcher needs it), and so do development-outbox rows
 * (`provider = 'outbox'`: `/dev/outbox` shows them, and they are fake by definition).
 */
export async function purgeMessageBodies(q: Executor, now: number): Promise<number> {
  const result = await q
    .updateTable('sms_outbox')
    .set({ body: '' })
    .where('provider', '!=', 'outbox')
    .where('body', '!=', '')
    .where('status', 'not in', ['queued', 'sending'])
    .where((eb) =>
      eb.or([
        eb.and([eb('correlation_id', 'is', null), eb('sent_at', '<=', now - UNATTACHED_BODY_MS)]),
        eb.and([
          eb('correlation_id', 'is not', null),
          eb.not(
            eb.exists(
              eb
                .selectFrom('sessions')
                .select('sessions.correlation_id')
                .whereRef('sessions.correlation_id', '=', 'sms_outbox.correlation_id')
                .where('sessions.ended_at', 'is', null)
                .where('sessions.expires_at', '>', now),
            ),
          ),
        ]),
      ]),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function purgeExpired(q: Executor, now: number): Promise<void> {
  // Bodies first: a session purged below no longer shields its messages either way.
  await purgeMessageBodies(q, now);
  await purgeSessionsWithEvents(q, now);
  await q.deleteFrom('access_tokens').where('expires_at', '<=', now).execute();
  await q.deleteFrom('challenges').where('expires_at', '<=', now).execute();
  await q.deleteFrom('rate_counters').where('window_start', '<', now - 60_000).execute();
  await q.deleteFrom('rate_limits').where('expire', '<', now).execute();
  await purgeAdminTokens(q, now);
  await purgeAdminSessions(q, now);
}
