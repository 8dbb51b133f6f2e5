/**
 * @module callbacks
 * The integrator-supplied steps (finish, OTP, Instant Link) and their result values.
 * Every step may be a function or an object with an `execute` method, as integrators write both.
 * Facts: `client-protocol.md` §2.1 (finish), §3.3 (OTP and Instant Link loops).
 */
import type { OtpError, PhoneValidationError } from './errors.js';

/**
 * A value or a promise of it: every callback may answer synchronously or asynchronously.
 *
 * @example
 * ```ts
 * const answer: Awaitable<string> = Promise.resolve('1234');
 * ```
 */
export type Awaitable<T> = T | Promise<T>;

/**
 * A step given either as a function or as an object with `execute`.
 *
 * @example
 * ```ts
 * const asFunction: AuthFinishStep = (input) => verify(input.authId);
 * const asObject: AuthFinishStep = { execute: (input) => verify(input.authId) };
 * ```
 */
export type StepCallback<Args extends unknown[], Result> =
  | ((...args: Args) => Awaitable<Result>)
  | { execute(...args: Args): Awaitable<Result> };

/**
 * What the finish step receives when the flow reaches `done`.
 *
 * @example
 * ```ts
 * const finish: AuthFinishStep = (input: AuthFinishInput) => verify(input.authId);
 * ```
 */
export interface AuthFinishInput {
  /** The auth session id (`auth.id` of the authToken); give it to your back end. */
  authId: string;
}

/**
 * Called once the flow succeeds or the server ends it with `done`: ask your back end for the
 * outcome (`/v3/unify-status`). `authenticate()` resolves after it resolves, and rejects if it rejects.
 *
 * @example
 * ```ts
 * new AuthenticatorBuilder().withAuthFinishStep((input) => verify(input.authId));
 * new AuthenticatorBuilder().withAuthFinishStep({ execute: async ({ authId }) => verify(authId) });
 * ```
 */
export type AuthFinishStep = StepCallback<[input: AuthFinishInput], unknown>;

/**
 * A phone number typed by the user, returned by an OTP or Instant Link start step.
 *
 * @example
 * ```ts
 * const input: PhoneNumberInput = { phoneNumber: '+12001004014' };
 * ```
 */
export interface PhoneNumberInput {
  phoneNumber: string;
}

/**
 * Result of an OTP start step (alias of {@link PhoneNumberInput}).
 *
 * @example
 * ```ts
 * const input: OtpStartInput = { phoneNumber: '2001004014' };
 * ```
 */
export type OtpStartInput = PhoneNumberInput;

/**
 * Result of an Instant Link start step (alias of {@link PhoneNumberInput}).
 *
 * @example
 * ```ts
 * const input: InstantLinkStartInput = { phoneNumber: '2001004014' };
 * ```
 */
export type InstantLinkStartInput = PhoneNumberInput;

/**
 * Starts SMS OTP. Receives `phoneNumberNeeded` (true when the server does not know the number,
 * i.e. the token's `otp.mnp` is false) and, on a retry, the server's {@link PhoneValidationError}.
 * Resolve `{phoneNumber}` to send the code there, or `null` to let the server use the number it has.
 * Called again after "change number" and after a validation error.
 *
 * @example
 * ```ts
 * const otpStart: OtpStartStep = async (phoneNumberNeeded, phoneValidationError) => {
 *   if (phoneValidationError) showError(phoneValidationError.message);
 *   return phoneNumberNeeded ? { phoneNumber: await askForNumber() } : null;
 * };
 * ```
 */
export type OtpStartStep = StepCallback<
  [phoneNumberNeeded: boolean, phoneValidationError?: PhoneValidationError],
  OtpStartInput | null | undefined
>;

/**
 * What the user chose on the OTP screen (`client-protocol.md` §3.3).
 *
 * @example
 * ```ts
 * return { resultType: OtpFinishResultType.OnResendOtp };
 * ```
 */
export const OtpFinishResultType = { OnSuccess: 0, OnResendOtp: 1, OnMobileNumberChange: 2 } as const;

/**
 * One of the {@link OtpFinishResultType} values.
 *
 * @example
 * ```ts
 * const type: OtpFinishResultTypeValue = OtpFinishResultType.OnMobileNumberChange; // 2
 * ```
 */
export type OtpFinishResultTypeValue = (typeof OtpFinishResultType)[keyof typeof OtpFinishResultType];

/**
 * Result of an OTP finish step: the code (`OnSuccess` with `input.otp`), a resend, or a number change.
 *
 * @example
 * ```ts
 * const result: OtpFinishResult = { resultType: OtpFinishResultType.OnSuccess, input: { otp: '1234' } };
 * ```
 */
export interface OtpFinishResult {
  resultType: OtpFinishResultTypeValue;
  input?: { otp: string };
}

/**
 * Constructors of {@link OtpFinishResult} values (plain objects).
 *
 * @example
 * ```ts
 * OtpFinishResult.onSuccess('1234');     // { resultType: 0, input: { otp: '1234' } }
 * OtpFinishResult.onResendOtp();         // { resultType: 1 }
 * OtpFinishResult.onMobileNumberChange(); // { resultType: 2 }
 * ```
 */
export const OtpFinishResult = {
  onSuccess: (otp: string): OtpFinishResult => ({ resultType: OtpFinishResultType.OnSuccess, input: { otp } }),
  onResendOtp: (): OtpFinishResult => ({ resultType: OtpFinishResultType.OnResendOtp }),
  onMobileNumberChange: (): OtpFinishResult => ({ resultType: OtpFinishResultType.OnMobileNumberChange }),
};

/**
 * Collects the SMS code. Receives the server's {@link OtpError} after a wrong code (and nothing on
 * the first call and after a resend). A bare string is accepted as `OnSuccess` with that code.
 *
 * @example
 * ```ts
 * const otpFinish: OtpFinishStep = async (otpError) => {
 *   if (otpError) showError(otpError.message);
 *   const action = await showCodeScreen(); // your UI
 *   if (action.kind === 'resend') return OtpFinishResult.onResendOtp();
 *   if (action.kind === 'change') return OtpFinishResult.onMobileNumberChange();
 *   return OtpFinishResult.onSuccess(action.code);
 * };
 * ```
 */
export type OtpFinishStep = StepCallback<[otpError?: OtpError], OtpFinishResult | string>;

/**
 * Starts Instant Link: same contract as {@link OtpStartStep}, with the token's `inln.mnp`.
 *
 * @example
 * ```ts
 * const instantLink: InstantLinkStartStep = async (phoneNumberNeeded) =>
 *   phoneNumberNeeded ? { phoneNumber: await askForNumber() } : null;
 * ```
 */
export type InstantLinkStartStep = StepCallback<
  [phoneNumberNeeded: boolean, phoneValidationError?: PhoneValidationError],
  InstantLinkStartInput | null | undefined
>;

/**
 * What the user chose on the "link sent" screen (`client-protocol.md` §3.3).
 *
 * @example
 * ```ts
 * const retry: InstantLinkRetryStep = async () => InstantLinkResultType.OnResend;
 * ```
 */
export const InstantLinkResultType = { OnResend: 0, OnMobileNumberChange: 1 } as const;

/**
 * One of the {@link InstantLinkResultType} values.
 *
 * @example
 * ```ts
 * const choice: InstantLinkResultTypeValue = InstantLinkResultType.OnResend; // 0
 * ```
 */
export type InstantLinkResultTypeValue = (typeof InstantLinkResultType)[keyof typeof InstantLinkResultType];

/**
 * Shown when the server replied to Instant Link start with neither `next` nor `data`: resolve
 * `OnResend` to send the link again, or `OnMobileNumberChange` to ask for another number.
 * `{resultType}` objects are accepted too.
 *
 * @example
 * ```ts
 * const retry: InstantLinkRetryStep = { execute: async () => ((await askResend()) ? 0 : 1) };
 * ```
 */
export type InstantLinkRetryStep = StepCallback<
  [],
  InstantLinkResultTypeValue | { resultType: InstantLinkResultTypeValue }
>;

/** Calls a step given as a function or as an object with `execute`. */
export async function invokeStep<Args extends unknown[], Result>(
  step: StepCallback<Args, Result>,
  ...args: Args
): Promise<Result> {
  return typeof step === 'function' ? step(...args) : step.execute(...args);
}
