/**
 * @module webhooks/events
 * The outcome events Handset sends to integrators' endpoints (docs/webhooks.md), and
 * {@link enqueueWebhookEvents}: one delivery row per subscribed endpoint of the client and event,
 * written in the CALLER's transaction (a rolled-back step enqueues nothing), with a nudge of the
 * webhook dispatcher once that transaction commits. Payloads carry a masked number only, unless
 * the endpoint opted in to the full number (`--include-phone`).
 */
import { maskPhone } from '../lib/phone.js';
import { afterCommit } from '../store/after-commit.js';
import { compileOnce } from '../store/compiled-query.js';
import type { Executor } from '../store/executor.js';

/** Every event type, in the order docs/webhooks.md lists them. */
export const WEBHOOK_EVENTS = [
  'session.succeeded',
  'session.failed',
  'session.possession_required',
  'device.bound',
  'device.revoked',
  'fraud.denied',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

/** True when `value` names an event type. */
export function isWebhookEvent(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENTS as readonly string[]).includes(value);
}

/** An event to enqueue for a client's endpoints. */
export interface WebhookEvent {
  type: WebhookEventType;
  clientId: string;
  /** The full E.164 number, if any: masked in payloads unless the endpoint opted in. */
  phoneE164?: string | null;
  /** Event fields without PII (correlationId, deviceId, reason…); must not carry a phone number. */
  data: Record<string, string | number | boolean>;
}

/** What {@link enqueueWebhookEvents} needs besides the transaction. */
export interface WebhookEnqueueDeps {
  clock: { now(): number };
  random: { uuid(): string };
  /** Wakes the dispatcher (called after commit); absent: the poll finds the rows. */
  nudgeWebhooks?: () => void;
}

/** The JSON body of a delivery (Standard Webhooks' `{type, timestamp, data}` shape). */
export function webhookPayload(event: WebhookEvent, at: number, includePhone: boolean): string {
  const data: Record<string, string | number | boolean> = { ...event.data };
  if (event.phoneE164) {
    data.phoneNumberMasked = maskPhone(event.phoneE164);
    if (includePhone) data.phoneNumber = event.phoneE164;
  }
  return JSON.stringify({ type: event.type, timestamp: new Date(at).toISOString(), data });
}

// Runs in every step that changes a session's outcome: compiled once (store/compiled-query.ts).
const selectEndpoints = compileOnce(
  (db, p) => db.selectFrom('webhook_endpoints').select(['id', 'events', 'include_phone']).where('client_id', '=', p.clientId),
  ['clientId'],
);

/**
 * Enqueues `event` for every endpoint of its client that subscribes to its type, in `trx`.
 * Called by the device revocation (device.revoked) and the fraud policy (fraud.denied); the
 * session step runner raises its one or two events through {@link enqueueWebhookEvents}.
 * Returns how many deliveries were written.
 *
 * @example
 * await enqueueWebhookEvent(trx, deps, { type: 'fraud.denied', clientId, phoneE164, data: { correlationId, reason: '9131' } });
 */
export async function enqueueWebhookEvent(trx: Executor, deps: WebhookEnqueueDeps, event: WebhookEvent): Promise<number> {
  return enqueueWebhookEvents(trx, deps, [event]);
}

/**
 * Enqueues `events`, all of ONE client, for every endpoint of that client that subscribes to each
 * event's type, in `trx`: the client's endpoints are read once and every delivery is written by
 * one insert (none when nothing subscribes), so a step that raises two events (session.succeeded
 * and device.bound) costs one read and one write. Deliveries are written in the order of `events`,
 * then of the endpoints as read. The dispatcher is nudged once, after `trx` commits. Returns how
 * many deliveries were written. Events of different clients are a programming error: it throws.
 *
 * @example
 * await enqueueWebhookEvents(trx, deps, [
 *   { type: 'session.succeeded', clientId, phoneE164, data: { correlationId, possessionType: 'none' } },
 *   { type: 'device.bound', clientId, phoneE164, data: { deviceId, correlationId } },
 * ]);
 */
export async function enqueueWebhookEvents(trx: Executor, deps: WebhookEnqueueDeps, events: readonly WebhookEvent[]): Promise<number> {
  const first = events[0];
  if (!first) return 0;
  const clientId = first.clientId;
  if (events.some((e) => e.clientId !== clientId)) {
    throw new Error('enqueueWebhookEvents: every event of one call must belong to the same client');
  }
  const endpoints = await selectEndpoints(trx, { clientId });
  const now = deps.clock.now();
  const rows = events.flatMap((event) =>
    endpoints
      .filter((e) => e.events.split(',').includes(event.type))
      .map((e) => ({
        id: `msg_${deps.random.uuid().replaceAll('-', '')}`,
        endpoint_id: e.id,
        event_type: event.type,
        payload: webhookPayload(event, now, Number(e.include_phone) === 1),
        created_at: now,
        status: 'pending',
        attempts: 0,
        next_attempt_at: now,
      })),
  );
  if (rows.length === 0) return 0;
  await trx.insertInto('webhook_deliveries').values(rows).execute();
  const nudge = deps.nudgeWebhooks;
  if (nudge) afterCommit(trx, nudge);
  return rows.length;
}
