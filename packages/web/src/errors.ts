/**
 * @module errors
 * Typed errors of the browser SDK and the error-code table (`client-protocol.md` §7).
 * Integrators `switch (err.code)`; messages never carry tokens or phone numbers.
 */
import { ClientErrorCode } from '@handset/protocol/browser';

/**
 * Error codes an {@link AuthError} can carry, under the names integrators know (`ERROR_` prefix).
 * `0` means "no specific code" (for example an unknown step or an invalid authToken).
 *
 * @example
 * ```ts
 * try {
 *   await authenticator.authenticate(authToken);
 * } catch (err) {
 *   if (err instanceof AuthError && err.code === ErrorCode.ERROR_MAX_ATTEMPTS) showRetry();
 * }
 * ```
 */
export const ErrorCode = {
  ERROR_AUTHENTICATION_FAILURE: ClientErrorCode.AUTHENTICATION_FAILURE,
  ERROR_AUTHENTICATION_EXTERNAL_FAILURE: ClientErrorCode.AUTHENTICATION_EXTERNAL_FAILURE,
  ERROR_AUTHENTICATION_CLIENT_FAILURE: ClientErrorCode.AUTHENTICATION_CLIENT_FAILURE,
  ERROR_AUTHENTICATION_PROHIBITED_ACTION: ClientErrorCode.AUTHENTICATION_PROHIBITED_ACTION,
  ERROR_MISSING_AUTHENTICATOR_COMPLETION: ClientErrorCode.MISSING_AUTHENTICATOR_COMPLETION,
  ERROR_MAX_ATTEMPTS: ClientErrorCode.MAX_ATTEMPTS,
  ERROR_NO_DEVICE_FOUND: ClientErrorCode.NO_DEVICE_FOUND,
} as const;

/**
 * Options of {@link AuthError}.
 *
 * @example
 * ```ts
 * new AuthError('Too many authentication steps', { code: ErrorCode.ERROR_MAX_ATTEMPTS });
 * ```
 */
export interface AuthErrorOptions {
  /** Numeric code (see {@link ErrorCode}); defaults to 0. */
  code?: number;
  /** The step the server named as fallback (`error` objects carry `next`). */
  nextStep?: string;
  /** True for client-side failures the SDK reports to `/v1/client/<area>/error`. */
  reportable?: boolean;
  /** HTTP status, when the error is an HTTP error. */
  status?: number;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * The error `authenticate()` and the other {@link Authenticator} methods reject with.
 *
 * @example
 * ```ts
 * authenticator.authenticate(authToken).catch((err) => {
 *   if (err instanceof AuthError) console.warn(err.code, err.message);
 * });
 * ```
 */
export class AuthError extends Error {
  /** Numeric code: one of {@link ErrorCode}, a server `error.code`, or 0. */
  readonly code: number;
  /** The fallback step the server named, if any. */
  readonly nextStep: string | undefined;
  /** Whether the SDK reports this failure to the server before giving up. */
  readonly reportable: boolean;
  /** The HTTP status for HTTP errors. */
  readonly status: number | undefined;

  /**
   * @example
   * ```ts
   * throw new AuthError('Authentication step failed', { code: ErrorCode.ERROR_AUTHENTICATION_FAILURE });
   * ```
   */
  constructor(message: string, options: AuthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AuthError';
    this.code = options.code ?? 0;
    this.nextStep = options.nextStep;
    this.reportable = options.reportable ?? false;
    this.status = options.status;
  }
}

function validationMessage(code: unknown, message: unknown, fallback: string): string {
  return code === undefined && message === undefined ? fallback : `Error Code: ${String(code)}, ${String(message)}`;
}

/**
 * Handed to the OTP finish step when the server rejected the code (`data` in the
 * `otp/finish` reply): the user may type the code again.
 *
 * @example
 * ```ts
 * const otpFinish = async (otpError) => {
 *   if (otpError) showError(otpError.message); // "Error Code: 1, Invalid OTP"
 *   return OtpFinishResult.onSuccess(await askForCode());
 * };
 * ```
 */
export class OtpError extends Error {
  /** The server's `data.code` (no fixed set; Handset uses 1 wrong code, 3 expired). */
  readonly code: number;

  /**
   * @example
   * ```ts
   * new OtpError(1, 'Invalid OTP').message; // "Error Code: 1, Invalid OTP"
   * ```
   */
  constructor(code?: number, message?: string) {
    super(validationMessage(code, message, 'Error validating OTP'));
    this.name = 'OtpError';
    this.code = code ?? 0;
  }
}

/**
 * Handed to an OTP or Instant Link start step when the server rejected the phone number
 * (`data` in the start reply): the user may enter another number.
 *
 * @example
 * ```ts
 * const otpStart = async (phoneNumberNeeded, phoneValidationError) => {
 *   if (phoneValidationError) showError(phoneValidationError.message);
 *   return phoneNumberNeeded ? { phoneNumber: await askForNumber() } : null;
 * };
 * ```
 */
export class PhoneValidationError extends Error {
  /** The server's `data.code` (Handset uses 2 for an invalid number). */
  readonly code: number;

  /**
   * @example
   * ```ts
   * new PhoneValidationError(2, 'Invalid phone number').code; // 2
   * ```
   */
  constructor(code?: number, message?: string) {
    super(validationMessage(code, message, 'Error validating phone number'));
    this.name = 'PhoneValidationError';
    this.code = code ?? 0;
  }
}
