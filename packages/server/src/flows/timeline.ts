/**
 * @module timeline
 * What a session's timeline records of a step the state machine judged (flows/session-tx.ts
 * writes it in the step's transaction): the event, the state before and after, the refusal or
 * failure reason, the channel and the masked destination. Never a code, token or full number.
 */
import { maskPhone } from '../lib/phone.js';
import type { SessionEventInput } from '../store/session-events-repo.js';
import type { SessionsTable } from '../store/schema.js';
import type { Decision, SessionEvent } from './session-state.js';

/** The event's name on the timeline: the check's result is part of it (`otp_checked:wrong`). */
function typeOf(event: SessionEvent): string {
  if (event.type === 'otp_checked') return `otp_checked:${event.result}`;
  if (event.type === 'device_checked') return `device_checked:${event.match}`;
  return event.type;
}

/** The channel a step used and where it went (masked). */
function routeOf(event: SessionEvent, session: Pick<SessionsTable, 'phone_e164'>): { channel: string | null; destination: string | null } {
  switch (event.type) {
    case 'otp_sent':
    case 'link_sent':
    case 'message_failed':
      return { channel: 'sms', destination: maskPhone(event.to) };
    case 'mobile_auth_started':
      return { channel: 'carrier', destination: session.phone_e164 ? maskPhone(session.phone_e164) : null };
    case 'mobile_auth_passed':
      return { channel: 'carrier', destination: maskPhone(event.phone) };
    case 'mobile_auth_failed':
      return { channel: 'carrier', destination: null };
    case 'device_checked':
      return { channel: 'device', destination: event.keyNumber ? maskPhone(event.keyNumber) : null };
    case 'bound':
      return { channel: 'integrator', destination: maskPhone(event.phone) };
    default:
      return { channel: null, destination: null };
  }
}

/**
 * The timeline entry of `event` judged on `before` (the session as the step found it at that
 * point). A refusal is recorded as `refused:<event>` with the refusal as its reason.
 */
export function timelineEntry(
  before: Pick<SessionsTable, 'correlation_id' | 'state' | 'phone_e164'>,
  event: SessionEvent,
  decision: Decision,
  at: number,
): SessionEventInput {
  const route = routeOf(event, before);
  if (!decision.ok) {
    return { correlation_id: before.correlation_id, at, type: `refused:${typeOf(event)}`, from_state: before.state, to_state: before.state, reason: decision.refusal, ...route };
  }
  return {
    correlation_id: before.correlation_id,
    at,
    type: typeOf(event),
    from_state: before.state,
    to_state: decision.state,
    reason: decision.changes.failure_reason ?? null,
    ...route,
  };
}

/** The first entry of every session: created in its starting state. */
export function createdEntry(session: Pick<SessionsTable, 'correlation_id' | 'phone_e164' | 'possession_type'>, at: number): SessionEventInput {
  return {
    correlation_id: session.correlation_id,
    at,
    type: 'created',
    from_state: null,
    to_state: 'created',
    reason: null,
    channel: null,
    destination: session.phone_e164 ? maskPhone(session.phone_e164) : null,
  };
}
