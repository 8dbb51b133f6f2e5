/**
 * @module courier/queue
 * The courier's queue is the `sms_outbox` table (migration 007): one row per message, with its
 * status, provider, provider message id, attempts, last error reason, next attempt time and lease.
 * Enqueue runs in the caller's transaction; a claim is one short statement; outcomes are recorded
 * only by the lease holder. No network I/O ever happens inside these statements.
 */
import { sql, type Selectable } from 'kysely';
import type { Dialect } from '../store/database.js';
import type { Executor } from '../store/executor.js';
import type { SmsOutboxTable } from '../store/schema.js';
import type { SmsStatus } from '../sms/providers/provider.js';

/** What the provider column holds until a provider took (or refused) the message. */
export const UNASSIGNED_PROVIDER = 'courier';

/** A message to enqueue. */
export interface QueuedMessage {
  id: string;
  to: string;
  body: string;
  clientId: string | null;
  correlationId: string | null;
  now: number;
}

/** Adds a message as `queued`, due at once, in the caller's transaction. */
export async function enqueueMessage(q: Executor, m: QueuedMessage): Promise<void> {
  await q
    .insertInto('sms_outbox')
    .values({
      id: m.id,
      client_id: m.clientId,
      to_e164: m.to,
      body: m.body,
      sent_at: m.now,
      correlation_id: m.correlationId,
      status: 'queued',
      provider: UNASSIGNED_PROVIDER,
      attempts: 0,
      next_attempt_at: m.now,
      updated_at: m.now,
    })
    .execute();
}

/** A claimed message (the columns the dispatcher needs). */
export type ClaimedMessage = Pick<Selectable<SmsOutboxTable>, 'id' | 'to_e164' | 'body' | 'attempts' | 'correlation_id'>;

/**
 * Claims up to `limit` due messages for `owner` until `now + leaseMs`: `queued` ones whose next
 * attempt time has come, and `sending` ones whose lease expired (their holder crashed or stalled:
 * they are sent again, at least once). Each claim counts as an attempt. PostgreSQL: rows another
 * instance is claiming are skipped (`FOR UPDATE SKIP LOCKED`); SQLite: the one statement is atomic.
 */
export async function claimDueMessages(
  q: Executor,
  dialect: Dialect,
  claim: { owner: string; now: number; leaseMs: number; limit: number },
): Promise<ClaimedMessage[]> {
  const { now } = claim;
  let due = q
    .selectFrom('sms_outbox')
    .select('id')
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'queued'), eb('next_attempt_at', '<=', now)]),
        eb.and([eb('status', '=', 'sending'), eb('locked_until', '<=', now)]),
      ]),
    )
    .orderBy('next_attempt_at')
    .limit(claim.limit);
  if (dialect === 'postgres') due = due.forUpdate().skipLocked();
  return q
    .updateTable('sms_outbox')
    .set({
      status: 'sending',
      locked_by: claim.owner,
      locked_until: now + claim.leaseMs,
      attempts: sql<number>`attempts + 1`,
      updated_at: now,
    })
    .where('id', 'in', due)
    .returning(['id', 'to_e164', 'body', 'attempts', 'correlation_id'])
    .execute();
}

/** Where a message goes after an attempt; written only while `owner` still holds the lease. */
export type AttemptOutcome =
  | { kind: 'accepted'; provider: string; providerMessageId: string; status: SmsStatus }
  | { kind: 'retry'; provider: string | null; reason: string; nextAttemptAt: number }
  | { kind: 'final'; provider: string | null; reason: string; status: 'failed' | 'undeliverable' };

/** Records an attempt's outcome; false when the lease was lost (another instance claimed it again). */
export async function recordOutcome(q: Executor, id: string, owner: string, now: number, outcome: AttemptOutcome): Promise<boolean> {
  // locked_by stays: it names the instance that last claimed the message (operators, tests).
  const release = { locked_until: null, updated_at: now };
  const changes =
    outcome.kind === 'accepted'
      ? { ...release, status: outcome.status, provider: outcome.provider, provider_message_id: outcome.providerMessageId, last_error: null, next_attempt_at: null }
      : outcome.kind === 'retry'
        ? { ...release, status: 'queued', last_error: outcome.reason, next_attempt_at: outcome.nextAttemptAt, ...(outcome.provider ? { provider: outcome.provider } : {}) }
        : { ...release, status: outcome.status, last_error: outcome.reason, next_attempt_at: null, ...(outcome.provider ? { provider: outcome.provider } : {}) };
  const result = await q
    .updateTable('sms_outbox')
    .set(changes)
    .where('id', '=', id)
    .where('locked_by', '=', owner)
    .where('status', '=', 'sending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
