/**
 * @module config
 * What `AuthenticatorBuilder` collects and `Authenticator` runs with.
 */
import type {
  AuthFinishStep,
  InstantLinkRetryStep,
  InstantLinkStartStep,
  OtpFinishStep,
  OtpStartStep,
} from './callbacks.js';
import type { KeyValueStorage } from './settings.js';

/**
 * How Mobile Auth reaches the carrier: `fetch` (a CORS GET that returns the vfp, the default) or
 * `pixel` (an image load; the server correlates by URL).
 *
 * @example
 * ```ts
 * const implementation: MobileAuthImplementation = 'fetch';
 * ```
 */
export type MobileAuthImplementation = 'fetch' | 'pixel';

/**
 * `primary` (the default) runs the Prove Key, Mobile Auth and OTP; `secondary` is a desktop page
 * that waits on the status WebSocket while the phone completes Instant Link.
 *
 * @example
 * ```ts
 * const role: AuthenticatorRole = 'secondary';
 * ```
 */
export type AuthenticatorRole = 'primary' | 'secondary';

/** The builder's settings. */
export interface AuthenticatorConfig {
  role: AuthenticatorRole;
  mobileAuthImplementation: MobileAuthImplementation;
  deviceIpAddress: string | null;
  finishStep?: AuthFinishStep;
  otpStart?: OtpStartStep;
  otpFinish?: OtpFinishStep;
  instantLinkStart?: InstantLinkStartStep;
  instantLinkRetry?: InstantLinkRetryStep;
  storage?: KeyValueStorage;
}
