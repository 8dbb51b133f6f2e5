/**
 * @module session-types
 * The domain's words for a Unify session: its states, what its device step found, and the
 * channels that deliver a proof of possession. The store persists them; flows/ owns them.
 */

/** The states of a Unify session; see flows/session-state.ts and docs/session-state-machine.md. */
export type SessionState =
  | 'created'
  | 'awaiting_possession'
  | 'mobile_auth'
  | 'otp_sent'
  | 'link_sent'
  | 'possession_required'
  | 'succeeded'
  | 'failed';

export const SESSION_STATES: readonly SessionState[] = [
  'created',
  'awaiting_possession',
  'mobile_auth',
  'otp_sent',
  'link_sent',
  'possession_required',
  'succeeded',
  'failed',
];

export type PossessionType = 'mobile' | 'desktop' | 'none';

/** What the device-key step of a session found, compared with the session's number. */
export type DeviceMatch = 'new' | 'match' | 'mismatch' | 'none';
