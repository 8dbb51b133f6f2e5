/**
 * @module courier/status-updates
 * Applies a provider's verified status callback to its message: found by provider and provider
 * message id (or by Handset's id when the provider echoes it), moved forward only — `queued` <
 * `sending` < `sent` < `delivered` / `failed` / `undeliverable`, and a final status never changes —
 * so a late or repeated callback cannot undo a later one. Every change a callback makes is written
 * on the session's timeline (`sms_delivered`, `sms_failed` with its reason…), so the timeline shows
 * each message's delivery status as it changed, not only its last one (issue 12 item 4).
 */
import { maskPhone } from '../lib/phone.js';
import type { SmsStatus, SmsStatusUpdate } from '../sms/providers/provider.js';
import type { Db } from '../store/database.js';
import { appendSessionEvents } from '../store/session-events-repo.js';
import { lockSession } from '../store/sessions-repo.js';

const RANK: Record<SmsStatus, number> = { queued: 0, sending: 1, sent: 2, delivered: 3, failed: 3, undeliverable: 3 };
const FINAL = new Set<string>(['delivered', 'failed', 'undeliverable']);

/** True when a message in `current` may move to `next`. */
export function isForward(current: string, next: SmsStatus): boolean {
  if (FINAL.has(current)) return false;
  return RANK[next] > (RANK[current as SmsStatus] ?? -1);
}

/** What a callback did: `updated`, `ignored` (not forward, or already there), `unknown` (no such message). */
export type StatusApplyResult = 'updated' | 'ignored' | 'unknown';

/** Applies `update` from `provider` at `now`, in one short transaction. */
export async function applyStatusUpdate(db: Db, provider: string, update: SmsStatusUpdate, now: number): Promise<StatusApplyResult> {
  return db.kysely.transaction().execute(async (trx) => {
    let query = trx
      .selectFrom('sms_outbox')
      .select(['id', 'status', 'to_e164', 'correlation_id'])
      .where('provider', '=', provider)
      .where('provider_message_id', '=', update.providerMessageId);
    if (db.dialect === 'postgres') query = query.forUpdate();
    let row = await query.executeTakeFirst();
    if (!row && update.reference !== undefined) {
      // The provider echoed Handset's id: the callback may beat the dispatcher's own record.
      let byId = trx.selectFrom('sms_outbox').select(['id', 'status', 'to_e164', 'correlation_id']).where('id', '=', update.reference);
      if (db.dialect === 'postgres') byId = byId.forUpdate();
      row = await byId.executeTakeFirst();
    }
    if (!row) return 'unknown';
    if (!isForward(row.status, update.status)) return 'ignored';
    const failed = update.status === 'failed' || update.status === 'undeliverable';
    // A callback's failure reason is a permanent reason when the provider's code is known; else a generic one.
    const reason = failed ? (update.reason ?? 'rejected') : null;
    await trx
      .updateTable('sms_outbox')
      .set({ status: update.status, updated_at: now, ...(failed ? { last_error: reason } : {}) })
      .where('id', '=', row.id)
      .execute();
    if (row.correlation_id !== null) {
      const session = await lockSession(trx, db.dialect, { column: 'correlation_id', value: row.correlation_id });
      if (session) {
        await appendSessionEvents(trx, db.dialect, [
          {
            correlation_id: row.correlation_id,
            at: now,
            type: `sms_${update.status}`,
            from_state: session.state,
            to_state: session.state,
            reason,
            channel: 'sms',
            destination: maskPhone(row.to_e164),
          },
        ]);
      }
    }
    return 'updated';
  });
}
