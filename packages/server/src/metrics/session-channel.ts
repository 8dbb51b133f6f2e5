/**
 * @module session-channel
 * Which possession channel settled a session, for the `channel` label of the session metrics. It
 * is read from the state the session left: every state but `created` and `awaiting_possession`
 * belongs to one channel, and a success straight from `created` is a verified Prove Key (or, at
 * insert, a sandbox short-term user). A session can try several channels (Mobile Auth, then an
 * OTP); the label names the one in progress when it ended.
 */
import type { SessionState } from '../flows/session-types.js';

export type SessionChannel =
  | 'prove_key'
  | 'mobile_auth'
  | 'otp'
  | 'instant_link'
  | 'customer_supplied'
  | 'sandbox'
  | 'none';

/** Every value the label can take (docs/operations.md lists them). */
export const SESSION_CHANNELS: readonly SessionChannel[] = [
  'prove_key',
  'mobile_auth',
  'otp',
  'instant_link',
  'customer_supplied',
  'sandbox',
  'none',
];

/**
 * The channel of a change from `from` to `to`. `deviceMatch` is the session's device match after
 * the change; `atInsert` is true for a session decided as it was created (sandbox short-term users).
 */
export function sessionChannel(from: SessionState, to: SessionState, deviceMatch: string | null, atInsert: boolean): SessionChannel {
  if (atInsert) return 'sandbox';
  switch (from) {
    case 'mobile_auth':
      return 'mobile_auth';
    case 'otp_sent':
      return 'otp';
    case 'link_sent':
      return 'instant_link';
    case 'possession_required':
      return 'customer_supplied';
    case 'created':
      // A key that matched settles the session at its device step; a mismatch or a new key hands a
      // customer-supplied session to the integrator from there too.
      if (to === 'succeeded' && deviceMatch === 'match') return 'prove_key';
      if (to === 'possession_required') return 'customer_supplied';
      return 'none';
    default:
      return 'none';
  }
}
