/**
 * @module session-state
 * The Unify session lifecycle: the one judge of which step may happen in which state, what state
 * follows, and which session fields change with it. Diagram: docs/session-state-machine.md; a
 * test parses that diagram and compares it with {@link decide} for every state × event.
 *
 * The invariant it guards: a session ends `succeeded` for number N only if
 *  (a) the proof consumed (code, link, Mobile Auth result) was issued for N after the last change
 *      of number — every send records the number in `proof_to`, every change of number clears
 *      all earlier proofs, and a proof is accepted only while `proof_to` is the session's number;
 *  (b) or a Prove Key already bound to N (for this client) verified (`device_checked` → match);
 *  (c) or, customer-supplied, the integrator bound N after `possession_required`.
 * A step that sends nothing changes nothing: at the resend cap the send is refused and the
 * session keeps its number; a change of number counts against the same cap as a resend.
 *
 * Services ask {@link decide} (through `StepContext.apply`) before they act; a refusal means
 * "step not allowed" (or "too many messages") and nothing is written.
 */
import { FailureReason, INSTANT_LINK_MAX_RESENDS, OTP_MAX_RESENDS, OTP_RETRIES_WHEN_ALLOWED } from '@handset/protocol';
import type { SessionsTable } from '../store/schema.js';
import type { DeviceMatch, SessionState } from './session-types.js';

export type { SessionState };

/** Things that happen to a session. */
export type SessionEvent =
  /** Sandbox short-term test users pass possession without the browser (server-api.md §11). */
  | { type: 'short_term_user' }
  /**
   * The device step is over: `match` compares the key's number with the session's. A session
   * without a number takes the number of a verified key bound to one (`keyNumber`, match).
   */
  | { type: 'device_checked'; match: DeviceMatch; keyNumber?: string }
  | { type: 'mobile_auth_started' }
  | { type: 'mobile_auth_failed' }
  /** The carrier vouched for `phone` (a session without a number discovers it so; `match` for it). */
  | { type: 'mobile_auth_passed'; phone: string; match: DeviceMatch | null }
  /** A code is about to be sent to `to` (the session's number, or a newly typed one with its key `match`). */
  | { type: 'otp_sent'; to: string; match: DeviceMatch | null }
  /** The code entered was checked: right, wrong, or past its lifetime. */
  | { type: 'otp_checked'; result: 'correct' | 'wrong' | 'expired' }
  | { type: 'link_sent'; to: string; match: DeviceMatch | null }
  | { type: 'link_opened' }
  /** The browser reported a failure it cannot recover from. */
  | { type: 'client_failed' }
  /** The courier gave up on a text (a permanent refusal, or every attempt failed). */
  | { type: 'message_failed'; to: string }
  /** An enforced `fail` rule of the fraud policy ended the session with its reason code (policy/guard.ts). */
  | { type: 'policy_failed'; reason: string }
  /** `/v3/unify-bind` for `phone` after the integrator's own possession check. */
  | { type: 'bound'; phone: string }
  | { type: 'expired' };

export type SessionEventType = SessionEvent['type'];

/** The session fields the machine reads. */
export type SessionFacts = Pick<
  SessionsTable,
  | 'state'
  | 'possession_type'
  | 'device_match'
  | 'rebind'
  | 'phone_e164'
  | 'proof_to'
  | 'otp_resends'
  | 'link_resends'
  | 'otp_attempts'
  | 'allow_otp_retry'
>;

/**
 * The session fields only the machine writes: steps can never set a state, a number, the number a
 * proof is for, or a counter by themselves.
 */
export type GuardedField =
  | 'state'
  | 'failure_reason'
  | 'phone_e164'
  | 'device_match'
  | 'proof_to'
  | 'otp_resends'
  | 'link_resends'
  | 'otp_attempts';

/** The session fields a decision may change: the guarded ones, and proofs it invalidates. */
export type MachineFields = Pick<
  SessionsTable,
  GuardedField | 'prove_id' | 'otp_hash' | 'link_hash' | 'mobile_auth_token' | 'mobile_auth_confirmed'
>;

/** Why a step was refused. */
export type Refusal =
  /** The step does not fit the session's state or possession type. */
  | 'not_allowed'
  /** Every message the session may send on this channel has gone out. */
  | 'too_many_messages'
  /** unify-bind named another number than the session's. */
  | 'other_number';

export type Decision =
  | {
      ok: true;
      state: SessionState;
      /** Field changes that go with the new state (always includes `state`). */
      changes: Partial<MachineFields>;
      /** True when the session's device key must be bound (or rebound) to the session's number now. */
      bindDevice: boolean;
    }
  | { ok: false; refusal: Refusal };

export const TERMINAL_STATES: ReadonlySet<SessionState> = new Set(['succeeded', 'failed']);

/** States in which the session still waits for the user (the integrator sees `pending`). */
export const PENDING_STATES: ReadonlySet<SessionState> = new Set([
  'created',
  'awaiting_possession',
  'mobile_auth',
  'otp_sent',
  'link_sent',
]);

/** Total tries at a code: one, plus three re-entries when `allowOTPRetry` is on. */
export function otpAttemptCap(allowRetry: boolean): number {
  return allowRetry ? 1 + OTP_RETRIES_WHEN_ALLOWED : 1;
}

/** Every proof a session may hold; all are cleared by a change of number. */
const NO_PROOFS = { proof_to: null, otp_hash: null, link_hash: null, mobile_auth_token: null, mobile_auth_confirmed: 0 } as const;

const refuse = (refusal: Refusal = 'not_allowed'): Decision => ({ ok: false, refusal });

function go(state: SessionState, changes: Partial<MachineFields> = {}, bindDevice = false): Decision {
  return { ok: true, state, changes: { ...changes, state }, bindDevice };
}

function fail(reason: string = FailureReason.POSSESSION_INCOMPLETE, changes: Partial<MachineFields> = {}): Decision {
  return go('failed', { ...changes, failure_reason: reason });
}

/** Decides what an event does to a session, or refuses it. Pure: reads only `session` and `event`. */
export function decide(session: SessionFacts, event: SessionEvent): Decision {
  const { state, possession_type: type } = session;
  if (TERMINAL_STATES.has(state)) return refuse();
  switch (event.type) {
    case 'expired':
      return fail();
    case 'short_term_user':
      if (state !== 'created') return refuse();
      return type === 'none' ? go('possession_required') : go('succeeded');
    case 'device_checked':
      if (state !== 'created' || type === 'desktop') return refuse();
      return afterDeviceCheck(session, event);
    case 'mobile_auth_started':
      if (type !== 'mobile' || !['created', 'awaiting_possession', 'mobile_auth'].includes(state)) return refuse();
      // Without a number the carrier discovers it: the proof is for whatever line it vouches for.
      return go('mobile_auth', { proof_to: session.phone_e164, mobile_auth_confirmed: 0 });
    case 'mobile_auth_failed':
      if (type !== 'mobile' || state !== 'mobile_auth') return refuse();
      return go('awaiting_possession', { proof_to: null, mobile_auth_token: null });
    case 'mobile_auth_passed': {
      if (type !== 'mobile' || state !== 'mobile_auth') return refuse();
      const done = { mobile_auth_token: null, proof_to: null };
      if (session.phone_e164 === null && session.proof_to === null) {
        // Number discovery: the carrier's answer is the proof and names the number.
        const discovered = { ...session, phone_e164: event.phone, device_match: event.match };
        return afterPossession(discovered, { ...done, phone_e164: event.phone, device_match: event.match });
      }
      if (event.phone !== session.phone_e164 || !proofIsForCurrentNumber(session)) return refuse();
      return afterPossession(session, done);
    }
    case 'otp_sent':
      if (type !== 'mobile' || !['created', 'awaiting_possession', 'mobile_auth', 'otp_sent'].includes(state)) return refuse();
      return messageSent(session, event, 'otp_resends', OTP_MAX_RESENDS, 'otp_sent');
    case 'otp_checked':
      return type === 'mobile' && state === 'otp_sent' ? otpChecked(session, event.result) : refuse();
    case 'link_sent':
      if (type !== 'desktop' || (state !== 'created' && state !== 'link_sent')) return refuse();
      return messageSent(session, event, 'link_resends', INSTANT_LINK_MAX_RESENDS, 'link_sent');
    case 'link_opened':
      // The link stays valid after success (opening it again redirects again): keep link_hash.
      if (type !== 'desktop' || state !== 'link_sent' || !proofIsForCurrentNumber(session)) return refuse();
      return go('succeeded');
    case 'client_failed':
      return type === 'mobile' && ['created', 'awaiting_possession', 'mobile_auth', 'otp_sent'].includes(state) ? fail() : refuse();
    case 'message_failed': {
      // Only the text that carries the live proof ends the session: one to an earlier number, or
      // one the session no longer waits for, changes nothing.
      const waiting = (type === 'mobile' && state === 'otp_sent') || (type === 'desktop' && state === 'link_sent');
      if (!waiting || event.to !== session.proof_to || !proofIsForCurrentNumber(session)) return refuse();
      return fail(FailureReason.MESSAGE_UNDELIVERABLE, { otp_hash: null, link_hash: null, proof_to: null });
    }
    case 'policy_failed':
      // The policy is evaluated only where the session waits for the person (policy/points.ts).
      if (!PENDING_STATES.has(state)) return refuse();
      return fail(event.reason, { otp_hash: null, link_hash: null, proof_to: null, mobile_auth_token: null });
    case 'bound':
      if (state !== 'possession_required') return refuse();
      if (session.phone_e164 === null) return go('succeeded', { phone_e164: event.phone, failure_reason: null }, true);
      if (event.phone !== session.phone_e164) return refuse('other_number');
      return go('succeeded', { failure_reason: null }, true);
  }
}

/** (a) of the invariant: the live proof was issued for the number the session has now. */
function proofIsForCurrentNumber(session: SessionFacts): boolean {
  return session.proof_to !== null && session.proof_to === session.phone_e164;
}

function afterDeviceCheck(session: SessionFacts, event: { match: DeviceMatch; keyNumber?: string }): Decision {
  const { match, keyNumber } = event;
  const type = session.possession_type as 'mobile' | 'none';
  const changes: Partial<MachineFields> = { device_match: match };
  if (match === 'match') {
    // (b) of the invariant: a key bound to N verified. Without a number, the session takes N.
    if (keyNumber === undefined || (session.phone_e164 !== null && keyNumber !== session.phone_e164)) return refuse();
    if (session.phone_e164 === null) changes.phone_e164 = keyNumber;
    return go('succeeded', changes);
  }
  if (type === 'mobile') return go('awaiting_possession', changes);
  // Customer-supplied possession: the integrator proves possession and then binds.
  const reason = match === 'mismatch' ? FailureReason.PHONE_KEY_MISMATCH : FailureReason.POSSESSION_INCOMPLETE;
  return go('possession_required', { ...changes, failure_reason: reason });
}

/** A mobile session proved its number: bind a new key, rebind only when asked (server-api.md §6). */
function afterPossession(session: SessionFacts, changes: Partial<MachineFields>): Decision {
  switch (session.device_match) {
    case 'new':
      return go('succeeded', changes, true);
    case 'mismatch':
      return session.rebind
        ? go('succeeded', changes, true)
        : go('possession_required', { ...changes, failure_reason: FailureReason.PHONE_KEY_MISMATCH });
    default:
      return go('succeeded', changes);
  }
}

/**
 * A message with a new proof goes out to `event.to`. The first on its channel is free; every later
 * one — a resend or a change of number — counts, and past the cap nothing is sent or changed.
 */
function messageSent(
  session: SessionFacts,
  event: { to: string; match: DeviceMatch | null },
  counter: 'otp_resends' | 'link_resends',
  maxResends: number,
  sentState: 'otp_sent' | 'link_sent',
): Decision {
  const changes: Partial<MachineFields> = {};
  if (session.state === sentState) {
    if (session[counter] >= maxResends) return refuse('too_many_messages');
    changes[counter] = session[counter] + 1;
  }
  if (event.to !== session.phone_e164) {
    // A change of number: every earlier proof, and the identity of the old number, go.
    Object.assign(changes, NO_PROOFS, { phone_e164: event.to, device_match: event.match, prove_id: null });
  } else {
    // The new message replaces the live proof of either channel (Mobile Auth ends with it).
    Object.assign(changes, { mobile_auth_token: null, mobile_auth_confirmed: 0 });
  }
  changes.proof_to = event.to;
  return go(sentState, changes);
}

function otpChecked(session: SessionFacts, result: 'correct' | 'wrong' | 'expired'): Decision {
  if (result === 'expired') return go('otp_sent');
  if (result === 'correct' && proofIsForCurrentNumber(session)) {
    return afterPossession(session, { otp_hash: null, proof_to: null });
  }
  const attempts = session.otp_attempts + 1;
  if (attempts >= otpAttemptCap(session.allow_otp_retry === 1)) {
    return fail(FailureReason.POSSESSION_INCOMPLETE, { otp_attempts: attempts, otp_hash: null, proof_to: null });
  }
  return go('otp_sent', { otp_attempts: attempts });
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
