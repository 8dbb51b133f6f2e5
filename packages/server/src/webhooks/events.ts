/**
 * @module webhooks/events
 * The outcome events Handset sends to integrators' endpoints (docs/webhooks.md), and
 * {@link enqueueWebhookEvent}: one delivery row per subscribed endpoint of the client, written in
 * the CALLER's transaction (a rolled-back step enqueues nothing), with a nudge of the webhook
 * dispatcher once that transaction commits. Payloads carry a masked number only, unless the
 * endpoint opted in to the full number (`--include-phone`).
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

/** What {@link enqueueWebhookEvent} needs besides the transaction. */
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

/**
 * Enqueues `event` for every endpoint of its client that subscribes to its type, in `trx`.
 * Called by the session step runner (session.*), the device binding and revocation (device.*)
 * and the fraud policy (fraud.denied). Returns how many deliveries were written.
 *
 * @example
 * await enqueueWebhookEvent(trx, deps, { type: 'fraud.denied', clientId, phoneE164, data: { correlationId, reason: '9131' } });
 */
const selectEndpoints = compileOnce(
  (db, p) => db.selectFrom('webhook_endpoints').select(['id', 'events', 'include_phone']).where('client_id', '=', p.clientId),
  ['clientId'],
);

export async function enqueueWebhookEvent(trx: Executor, deps: WebhookEnqueueDeps, event: WebhookEvent): Promise<number> {
  // Runs in every step that changes a session's outcome: compiled once (store/compiled-query.ts).
  const endpoints = await selectEndpoints(trx, { clientId: event.clientId });
  const subscribed = endpoints.filter((e) => e.events.split(',').includes(event.type));
  if (subscribed.length === 0) return 0;
  const now = deps.clock.now();
  await trx
    .insertInto('webhook_deliveries')
    .values(
      subscribed.map((e) => ({
        id: `msg_${deps.random.uuid().replaceAll('-', '')}`,
        endpoint_id: e.id,
        event_type: event.type,
        payload: webhookPayload(event, now, Number(e.include_phone) === 1),
        created_at: now,
        status: 'pending',
        attempts: 0,
        next_attempt_at: now,
      })),
    )
    .execute();
  const nudge = deps.nudgeWebhooks;
  if (nudge) afterCommit(trx, nudge);
  return subscribed.length;
}
