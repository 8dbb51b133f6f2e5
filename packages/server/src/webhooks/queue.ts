/**
 * @module webhooks/queue
 * The webhook queue is the `webhook_deliveries` table (migration 010). Like the courier's queue
 * (courier/queue.ts): a claim is one short statement taking a lease (PostgreSQL: `FOR UPDATE SKIP
 * LOCKED`, so instances never claim the same row; SQLite: one atomic UPDATE ... RETURNING),
 * outcomes are written only by the lease holder, and no network I/O happens inside a statement.
 */
import { sql } from 'kysely';
import type { Dialect } from '../store/database.js';
import type { Executor } from '../store/executor.js';

/** A claimed delivery with what sending it needs. */
export interface ClaimedDelivery {
  id: string;
  payload: string;
  attempts: number;
  created_at: number;
  url: string;
  secret: string;
}

/** Claims up to `limit` due deliveries (pending and due, or sending with an expired lease). */
export async function claimDueDeliveries(
  q: Executor,
  dialect: Dialect,
  claim: { owner: string; now: number; leaseMs: number; limit: number },
): Promise<ClaimedDelivery[]> {
  const { now } = claim;
  let due = q
    .selectFrom('webhook_deliveries')
    .select('id')
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', now)]),
        eb.and([eb('status', '=', 'sending'), eb('locked_until', '<=', now)]),
      ]),
    )
    .orderBy('next_attempt_at')
    .limit(claim.limit);
  if (dialect === 'postgres') due = due.forUpdate().skipLocked();
  const claimed = await q
    .updateTable('webhook_deliveries')
    .set({ status: 'sending', locked_by: claim.owner, locked_until: now + claim.leaseMs, attempts: sql<number>`attempts + 1` })
    .where('id', 'in', due)
    .returning(['id', 'endpoint_id', 'payload', 'attempts', 'created_at'])
    .execute();
  if (claimed.length === 0) return [];
  // The endpoint is read after the claim: a rotated secret signs the very next attempt.
  const endpoints = await q
    .selectFrom('webhook_endpoints')
    .select(['id', 'url', 'secret'])
    .where('id', 'in', [...new Set(claimed.map((c) => c.endpoint_id))])
    .execute();
  const byId = new Map(endpoints.map((e) => [e.id, e]));
  return claimed.flatMap((c) => {
    const endpoint = byId.get(c.endpoint_id);
    // Removed meanwhile: the delivery stays `sending` until removal's clean-up or the lease runs out.
    if (!endpoint) return [];
    return [{ id: c.id, payload: c.payload, attempts: Number(c.attempts), created_at: Number(c.created_at), url: endpoint.url, secret: endpoint.secret }];
  });
}

/** Where a delivery goes after an attempt. */
export type DeliveryOutcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; status: number | null; error: string; nextAttemptAt: number }
  | { kind: 'failed'; status: number | null; error: string };

/** Records an attempt's outcome; false when the lease was lost. */
export async function recordDelivery(q: Executor, id: string, owner: string, now: number, outcome: DeliveryOutcome): Promise<boolean> {
  const changes =
    outcome.kind === 'delivered'
      ? { status: 'delivered', last_status: outcome.status, last_error: null, next_attempt_at: null, delivered_at: now }
      : outcome.kind === 'retry'
        ? { status: 'pending', last_status: outcome.status, last_error: outcome.error, next_attempt_at: outcome.nextAttemptAt }
        : { status: 'failed', last_status: outcome.status, last_error: outcome.error, next_attempt_at: null };
  const result = await q
    .updateTable('webhook_deliveries')
    .set({ ...changes, locked_until: null })
    .where('id', '=', id)
    .where('locked_by', '=', owner)
    .where('status', '=', 'sending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Redelivery by id: the delivery (delivered or failed alike) is due again at once, with the same
 * `webhook-id`, so a receiver that already has it can drop it. False when there is no such
 * delivery, or (with `clientId`) when it belongs to another client's endpoint.
 */
export async function redeliver(q: Executor, id: string, now: number, clientId?: string): Promise<boolean> {
  let owned = q.selectFrom('webhook_endpoints').select('id');
  if (clientId !== undefined) owned = owned.where('client_id', '=', clientId);
  const result = await q
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', next_attempt_at: now, locked_until: null })
    .where('id', '=', id)
    .where('status', '!=', 'sending')
    .where('endpoint_id', 'in', owned)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** A delivery as operators and tests see it (no secret is involved; the payload is PII-limited). */
export interface DeliveryView {
  id: string;
  endpointId: string;
  eventType: string;
  status: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  nextAttemptAt: number | null;
  deliveredAt: number | null;
  payload: string;
}

/** Which deliveries to list: of one endpoint, of one client's endpoints, at most `limit` (default 100). */
export interface DeliveryFilter {
  endpointId?: string;
  clientId?: string;
  limit?: number;
}

/** Lists deliveries, newest first (the CLI's tests and the admin API's list). */
export async function listDeliveries(q: Executor, filter: DeliveryFilter = {}): Promise<DeliveryView[]> {
  let query = q.selectFrom('webhook_deliveries').selectAll().orderBy('created_at', 'desc').orderBy('id').limit(filter.limit ?? 100);
  if (filter.endpointId !== undefined) query = query.where('endpoint_id', '=', filter.endpointId);
  if (filter.clientId !== undefined) {
    query = query.where('endpoint_id', 'in', q.selectFrom('webhook_endpoints').select('id').where('client_id', '=', filter.clientId));
  }
  const rows = await query.execute();
  const orNull = (v: number | string | null): number | null => (v === null ? null : Number(v));
  return rows.map((r) => ({
    id: r.id,
    endpointId: r.endpoint_id,
    eventType: r.event_type,
    status: r.status,
    attempts: Number(r.attempts),
    lastStatus: orNull(r.last_status),
    lastError: r.last_error,
    createdAt: Number(r.created_at),
    nextAttemptAt: orNull(r.next_attempt_at),
    deliveredAt: orNull(r.delivered_at),
    payload: r.payload,
  }));
}
