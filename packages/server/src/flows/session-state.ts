/**
 * @module session-state
 * The Unify session lifecycle: the one place that decides which step may happen in which state
 * and what state follows. Diagram: docs/session-state-machine.md (keep the two in step).
 *
 * Services call {@link transition} before they write anything; a `null` answer means "step not
 * allowed" and nothing is written.
 */
import type { DeviceMatch, SessionState, SessionsTable } from '../store/schema.js';
import { FailureReason } from '@handset/protocol';

export type { SessionState };

/** Things that happen to a session. */
export type SessionEvent =
  | { type: 'device_checked'; match: DeviceMatch }
  | { type: 'mobile_auth_started' }
  | { type: 'mobile_auth_failed' }
  | { type: 'otp_sent' }
  | { type: 'otp_rejected' }
  | { type: 'link_sent' }
  | { type: 'possession_proven' }
  | { type: 'bound' }
  | { type: 'failed' }
  | { type: 'expired' };

/** The session fields the machine reads. */
export type SessionFacts = Pick<SessionsTable, 'state' | 'possession_type' | 'device_match' | 'rebind'>;

export const TERMINAL_STATES: ReadonlySet<SessionState> = new Set(['succeeded', 'failed']);

/** States in which the session still waits for the user (the integrator sees `pending`). */
export const PENDING_STATES: ReadonlySet<SessionState> = new Set([
  'created',
  'awaiting_possession',
  'mobile_auth',
  'otp_sent',
  'link_sent',
]);

/** The result of a transition: the next state and, where it matters, the reason recorded with it. */
export interface Transition {
  state: SessionState;
  /** Global Fraud Policy reason code recorded for `possession_required` / `failed`. */
  reason?: string;
  /** True when the session's device key must be bound (or rebound) to the session's number now. */
  bindDevice?: boolean;
}

/** Decides the next state, or null when the event is not allowed in the current state. */
export function transition(session: SessionFacts, event: SessionEvent): Transition | null {
  const { state, possession_type: type } = session;
  if (TERMINAL_STATES.has(state)) return null;
  switch (event.type) {
    case 'expired':
    case 'failed':
      return { state: 'failed', reason: FailureReason.POSSESSION_INCOMPLETE };
    case 'device_checked':
      if (state !== 'created' || type === 'desktop') return null;
      return afterDeviceCheck(type, event.match);
    case 'mobile_auth_started':
      return type === 'mobile' && ['created', 'awaiting_possession', 'mobile_auth'].includes(state)
        ? { state: 'mobile_auth' }
        : null;
    case 'mobile_auth_failed':
      return state === 'mobile_auth' ? { state: 'awaiting_possession' } : null;
    case 'otp_sent':
      return type === 'mobile' && ['created', 'awaiting_possession', 'mobile_auth', 'otp_sent'].includes(state)
        ? { state: 'otp_sent' }
        : null;
    case 'otp_rejected':
      return state === 'otp_sent' ? { state: 'otp_sent' } : null;
    case 'link_sent':
      return type === 'desktop' && (state === 'created' || state === 'link_sent') ? { state: 'link_sent' } : null;
    case 'possession_proven':
      if (!['mobile_auth', 'otp_sent', 'link_sent'].includes(state)) return null;
      return afterPossession(session);
    case 'bound':
      return state === 'possession_required' ? { state: 'succeeded', bindDevice: true } : null;
  }
}

function afterDeviceCheck(type: 'mobile' | 'none', match: DeviceMatch): Transition {
  if (match === 'match') return { state: 'succeeded' };
  if (type === 'mobile') return { state: 'awaiting_possession' };
  // Customer-supplied possession: the integrator proves possession and then binds.
  return {
    state: 'possession_required',
    reason: match === 'mismatch' ? FailureReason.PHONE_KEY_MISMATCH : FailureReason.POSSESSION_INCOMPLETE,
  };
}

function afterPossession(session: SessionFacts): Transition {
  if (session.possession_type === 'desktop') return { state: 'succeeded' };
  switch (session.device_match) {
    case 'new':
      return { state: 'succeeded', bindDevice: true };
    case 'mismatch':
      return session.rebind
        ? { state: 'succeeded', bindDevice: true }
        : { state: 'possession_required', reason: FailureReason.PHONE_KEY_MISMATCH };
    default:
      return { state: 'succeeded' };
  }
}

/**
 * The state as of `now`: a session that outlived its window, or a desktop session whose Instant
 * Link expired unopened, has failed even if no request has written that down yet.
 */
export function effectiveState(
  session: Pick<SessionsTable, 'state' | 'expires_at' | 'link_sent_at'>,
  now: number,
  instantLinkTtlMs: number,
): SessionState {
  if (TERMINAL_STATES.has(session.state)) return session.state;
  if (now >= session.expires_at) return 'failed';
  if (session.state === 'link_sent' && session.link_sent_at !== null && now >= session.link_sent_at + instantLinkTtlMs) {
    return 'failed';
  }
  return session.state;
}
