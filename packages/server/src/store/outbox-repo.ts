/**
 * @module outbox-repo
 * The SMS outbox table: every message the platform "sends" in development and sandbox mode.
 */
import type { Insertable, Selectable } from 'kysely';
import type { Executor } from './executor.js';
import type { SmsOutboxTable } from './schema.js';

export async function insertOutboxMessage(q: Executor, row: Insertable<SmsOutboxTable>): Promise<void> {
  await q.insertInto('sms_outbox').values(row).execute();
}

/** The newest messages first. */
export async function listOutbox(q: Executor, limit: number): Promise<Selectable<SmsOutboxTable>[]> {
  return q.selectFrom('sms_outbox').selectAll().orderBy('sent_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}
