/**
 * @module @handset/web
 * Handset's browser SDK: a drop-in for Prove's Web SDK surface (`AuthenticatorBuilder`,
 * `Authenticator`, the OTP and Instant Link callbacks, typed errors) that speaks the client protocol
 * (`client-protocol.md`) to any compatible server. Zero runtime dependencies.
 *
 * @example
 * ```ts
 * import { AuthenticatorBuilder } from '@handset/web';
 *
 * const authenticator = new AuthenticatorBuilder()
 *   .withAuthFinishStep((input) => verify(input.authId))
 *   .withMobileAuthImplementation('fetch')
 *   .withOtpFallback(otpStart, otpFinish)
 *   .build();
 * await authenticator.authenticate(authToken);
 * ```
 */
export { AuthenticatorBuilder } from './authenticator-builder.js';
export { Authenticator, type CancelablePromise } from './authenticator.js';
export {
  InstantLinkResultType,
  OtpFinishResult,
  OtpFinishResultType,
  type AuthFinishInput,
  type AuthFinishStep,
  type Awaitable,
  type InstantLinkResultTypeValue,
  type InstantLinkRetryStep,
  type InstantLinkStartInput,
  type InstantLinkStartStep,
  type OtpFinishResultTypeValue,
  type OtpFinishStep,
  type OtpStartInput,
  type OtpStartStep,
  type PhoneNumberInput,
  type StepCallback,
} from './callbacks.js';
export type { AuthenticatorRole, MobileAuthImplementation } from './config.js';
export { AuthError, ErrorCode, OtpError, PhoneValidationError, type AuthErrorOptions } from './errors.js';
export type { KeyValueStorage } from './settings.js';
