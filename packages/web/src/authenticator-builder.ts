/**
 * @module authenticator-builder
 * `AuthenticatorBuilder`: the fluent configuration integrators know from Prove's Web SDK.
 */
import type {
  AuthFinishStep,
  InstantLinkRetryStep,
  InstantLinkStartStep,
  OtpFinishStep,
  OtpStartStep,
} from './callbacks.js';
import { Authenticator } from './authenticator.js';
import type { AuthenticatorConfig, AuthenticatorRole, MobileAuthImplementation } from './config.js';
import type { KeyValueStorage } from './settings.js';

function isStep(step: unknown): boolean {
  return typeof step === 'function' || (typeof step === 'object' && step !== null && typeof (step as { execute?: unknown }).execute === 'function');
}

function requireStep(step: unknown, what: string): void {
  if (!isStep(step)) throw new TypeError(`${what} must be a function or an object with an execute method`);
}

/**
 * Configures and builds an {@link Authenticator}. Each `with…` method returns the builder.
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
 * ```
 */
export class AuthenticatorBuilder {
  private readonly config: AuthenticatorConfig = {
    role: 'primary',
    mobileAuthImplementation: 'fetch',
    deviceIpAddress: null,
  };

  /**
   * The step called when the flow is done: ask your back end for the outcome.
   *
   * @example
   * ```ts
   * builder.withAuthFinishStep((input) => fetch('/api/verify', { method: 'POST', body: input.authId }));
   * ```
   */
  withAuthFinishStep(step: AuthFinishStep): this {
    requireStep(step, 'The auth finish step');
    this.config.finishStep = step;
    return this;
  }

  /**
   * How Mobile Auth reaches the carrier: `"fetch"` (default) or `"pixel"`.
   *
   * @example
   * ```ts
   * builder.withMobileAuthImplementation('pixel');
   * ```
   */
  withMobileAuthImplementation(implementation: MobileAuthImplementation): this {
    if (implementation !== 'fetch' && implementation !== 'pixel') {
      throw new TypeError('Mobile Auth implementation must be "fetch" or "pixel"');
    }
    this.config.mobileAuthImplementation = implementation;
    return this;
  }

  /**
   * Enables SMS OTP: `start` collects the number (see {@link OtpStartStep}), `finish` collects
   * the code or a resend / change-number choice (see {@link OtpFinishStep}).
   *
   * @example
   * ```ts
   * builder.withOtpFallback(
   *   async (phoneNumberNeeded) => (phoneNumberNeeded ? { phoneNumber: await askNumber() } : null),
   *   async (otpError) => OtpFinishResult.onSuccess(await askCode(otpError?.message)),
   * );
   * ```
   */
  withOtpFallback(start: OtpStartStep, finish: OtpFinishStep): this {
    requireStep(start, 'The OTP start step');
    requireStep(finish, 'The OTP finish step');
    this.config.otpStart = start;
    this.config.otpFinish = finish;
    return this;
  }

  /**
   * Enables Instant Link: `start` collects the number; the optional `retry` offers resend or
   * change of number (see {@link InstantLinkRetryStep}).
   *
   * @example
   * ```ts
   * builder.withInstantLinkFallback(async () => null, async () => InstantLinkResultType.OnResend);
   * ```
   */
  withInstantLinkFallback(start: InstantLinkStartStep, retry?: InstantLinkRetryStep): this {
    requireStep(start, 'The Instant Link start step');
    if (retry !== undefined) requireStep(retry, 'The Instant Link retry step');
    this.config.instantLinkStart = start;
    this.config.instantLinkRetry = retry;
    return this;
  }

  /**
   * `"primary"` (default; the device being verified) or `"secondary"` (a desktop waiting while
   * the phone completes Instant Link).
   *
   * @example
   * ```ts
   * builder.withRole('secondary');
   * ```
   */
  withRole(role: AuthenticatorRole): this {
    if (role !== 'primary' && role !== 'secondary') throw new TypeError('Role must be "primary" or "secondary"');
    this.config.role = role;
    return this;
  }

  /**
   * The device's public IP as your back end saw it, sent as `cellularIp` (Mobile Auth) and
   * `sourceIp` (Instant Link). Default `null`.
   *
   * @example
   * ```ts
   * builder.withDeviceIpAddress('203.0.113.7');
   * ```
   */
  withDeviceIpAddress(ipAddress: string | null): this {
    this.config.deviceIpAddress = ipAddress ?? null;
    return this;
  }

  /**
   * Replaces localStorage for the SDK's settings (`ProveAuth.DeviceId`, `ProveAuth.namespace`,
   * `ProveAuth.fingerPrintTimestamp`). The key itself always lives in IndexedDB.
   *
   * @example
   * ```ts
   * builder.withStorage(window.sessionStorage);
   * ```
   */
  withStorage(storage: KeyValueStorage): this {
    if (!storage || typeof storage.getItem !== 'function' || typeof storage.setItem !== 'function' || typeof storage.removeItem !== 'function') {
      throw new TypeError('Storage must have getItem, setItem and removeItem');
    }
    this.config.storage = storage;
    return this;
  }

  /**
   * Builds the {@link Authenticator}. The builder can be reused.
   *
   * @example
   * ```ts
   * const authenticator = new AuthenticatorBuilder().build();
   * ```
   */
  build(): Authenticator {
    return new Authenticator({ ...this.config });
  }
}
