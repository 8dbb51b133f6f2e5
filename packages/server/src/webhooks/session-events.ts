/**
 * @module webhooks/session-events
 * The events a session step's state change raises (called by runSessionStep inside the step's
 * transaction, so a rolled-back step enqueues nothing): `session.succeeded`, `session.failed`,
 * `session.possession_required`, and `device.bound` when the success bound a device key.
 */
import type { SessionRow } from '../store/sessions-repo.js';
import type { Executor } from '../store/executor.js';
import { enqueueWebhookEvents, type WebhookEnqueueDeps, type WebhookEvent, type WebhookEventType } from './events.js';

const SESSION_EVENTS: Partial<Record<string, WebhookEventType>> = {
  succeeded: 'session.succeeded',
  failed: 'session.failed',
  possession_required: 'session.possession_required',
};

/**
 * Enqueues what a state change from `from` to `to` raises. `boundDevice`: the step's success bound
 * the session's device key to the number (the state machine said so; settle.ts wrote it).
 */
export async function enqueueSessionChange(
  trx: Executor,
  deps: WebhookEnqueueDeps,
  from: SessionRow,
  to: SessionRow,
  boundDevice: boolean,
): Promise<void> {
  const type = SESSION_EVENTS[to.state];
  if (!type) return;
  const data: Record<string, string> = { correlationId: to.correlation_id, possessionType: to.possession_type };
  if (to.failure_reason) data.reason = to.failure_reason;
  if (to.device_id) data.deviceId = to.device_id;
  const events: WebhookEvent[] = [{ type, clientId: to.client_id, phoneE164: to.phone_e164, data }];
  if (boundDevice && from.state !== 'succeeded' && to.state === 'succeeded' && to.device_id) {
    events.push({
      type: 'device.bound',
      clientId: to.client_id,
      phoneE164: to.phone_e164,
      data: { deviceId: to.device_id, correlationId: to.correlation_id },
    });
  }
  // One read of the client's endpoints and one insert for both events.
  await enqueueWebhookEvents(trx, deps, events);
}
