/**
 * @module sessions-repo
 * Unify sessions. Every state change goes through flows/session-state.ts first; this module only
 * reads and writes rows.
 */
import type { Executor } from './executor.js';
import type { Dialect } from './database.js';
import type { Kysely } from 'kysely';
import { compileOnce } from './compiled-query.js';
import type { Database, SessionsTable } from './schema.js';

export type SessionRow = SessionsTable;

export async function insertSession(q: Executor, row: SessionRow): Promise<void> {
  await q.insertInto('sessions').values(row).execute();
}

const selectSessionForClient = compileOnce(
  (db, correlationId: string, clientId: string) =>
    db.selectFrom('sessions').selectAll().where('correlation_id', '=', correlationId).where('client_id', '=', clientId),
  2,
);

/** Reads a session of one client (tenant isolation lives in this `where`). The hot read of unify-status. */
export async function findSessionForClient(
  db: Kysely<Database>,
  correlationId: string,
  clientId: string,
): Promise<SessionRow | undefined> {
  return (await selectSessionForClient(db, correlationId, clientId))[0];
}

/** Reads and, on PostgreSQL, row-locks a session inside a transaction. SQLite transactions are serial already. */
export async function lockSession(
  q: Executor,
  dialect: Dialect,
  where: { column: 'correlation_id' | 'auth_id' | 'link_hash' | 'mobile_auth_token'; value: string },
): Promise<SessionRow | undefined> {
  let query = q.selectFrom('sessions').selectAll().where(where.column, '=', where.value);
  if (dialect === 'postgres') query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function findSessionBy(
  q: Executor,
  column: 'auth_id' | 'link_hash' | 'mobile_auth_token',
  value: string,
): Promise<SessionRow | undefined> {
  return q.selectFrom('sessions').selectAll().where(column, '=', value).executeTakeFirst();
}

export async function updateSession(q: Executor, correlationId: string, changes: Partial<SessionRow>): Promise<void> {
  if (Object.keys(changes).length === 0) return;
  await q.updateTable('sessions').set(changes).where('correlation_id', '=', correlationId).execute();
}

/** Deletes sessions whose retention has passed. */
export async function purgeSessions(q: Executor, now: number): Promise<number> {
  const result = await q.deleteFrom('sessions').where('purge_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
