/**
 * @module authenticator
 * The object integrators call: `authenticate(authToken)` runs the step machine (cancelable);
 * the other methods look after this browser's Prove Key.
 */
import { ClientErrorCode, ClientPath } from '@handset/protocol/browser';
import { decodeAuthToken } from './auth-token.js';
import { invokeStep } from './callbacks.js';
import type { AuthenticatorConfig } from './config.js';
import { AuthError } from './errors.js';
import { runFlow } from './flow.js';
import { loadRegistration } from './key-store.js';
import { detectMobileWeb } from './platform.js';
import { baseUrl, type Session } from './session.js';
import { defaultStorage, readSetting, SettingKey, wipeDevice, writeSetting, type KeyValueStorage } from './settings.js';
import { stepRegistry } from './step-registry.js';
import { callServer, serverFailure } from './transport.js';

/**
 * The promise `authenticate()` returns, with `cancel()`: closes the status socket, aborts pending
 * requests, stops every timer, and ends the flow. As in Prove's SDK, a cancelled flow still calls
 * the finish step with the authId (so your back end asks for the outcome) and then resolves.
 *
 * @example
 * ```ts
 * const running = authenticator.authenticate(authToken);
 * cancelButton.onclick = () => running.cancel();
 * await running;
 * ```
 */
export type CancelablePromise<T> = Promise<T> & { cancel(): void };

const CANCELLED = Symbol('cancelled');

/**
 * Runs possession checks and the Prove Key for one authToken at a time. Build it with
 * {@link AuthenticatorBuilder}.
 *
 * @example
 * ```ts
 * const authenticator = new AuthenticatorBuilder()
 *   .withAuthFinishStep((input) => verify(input.authId))
 *   .withOtpFallback(otpStart, otpFinish)
 *   .build();
 * await authenticator.authenticate(authToken);
 * ```
 */
export class Authenticator {
  private readonly config: AuthenticatorConfig;
  private readonly storage: KeyValueStorage;

  /**
   * Use {@link AuthenticatorBuilder.build} instead.
   *
   * @example
   * ```ts
   * const authenticator = new AuthenticatorBuilder().build();
   * ```
   */
  constructor(config: AuthenticatorConfig) {
    this.config = { ...config };
    this.storage = config.storage ?? defaultStorage();
  }

  /**
   * True when the user agent looks like a phone or tablet (Prove's regex). Use it to choose
   * `possessionType` "mobile" or "desktop" on your back end.
   *
   * @example
   * ```ts
   * const isMobile = new AuthenticatorBuilder().build().isMobileWeb();
   * ```
   */
  isMobileWeb(): boolean {
    return detectMobileWeb();
  }

  /**
   * Runs the flow the authToken starts (from your back end's `/v3/unify`). Resolves after the
   * finish step resolved, or without calling it when the server ends the flow silently; rejects
   * with an {@link AuthError}. The returned promise has `cancel()`.
   *
   * @example
   * ```ts
   * const { authToken } = await (await fetch('/api/start', { method: 'POST' })).json();
   * await authenticator.authenticate(authToken);
   * ```
   */
  authenticate(authToken: string): CancelablePromise<void> {
    const controller = new AbortController();
    const session: Session & { token: string } = {
      token: authToken,
      namespace: '',
      endpoint: '',
      storage: this.storage,
      signal: controller.signal,
      cleanups: new Set(),
    };
    let rejectCancelled: (reason: unknown) => void = () => undefined;
    const cancelled = new Promise<never>((_, reject) => {
      rejectCancelled = reject;
    });
    cancelled.catch(() => undefined);
    const race = <T>(work: Promise<T>): Promise<T> => {
      work.catch(() => undefined);
      return Promise.race([work, cancelled]);
    };
    const release = (): void => {
      for (const cleanup of [...session.cleanups]) cleanup();
      session.cleanups.clear();
    };
    let running = true;

    const run = async (): Promise<void> => {
      let finish: boolean;
      let authId = '';
      try {
        const claims = decodeAuthToken(authToken);
        authId = claims.auth.id;
        session.namespace = claims.auth.ans;
        session.endpoint = baseUrl(claims.auth.endp);
        await race(writeSetting(this.storage, SettingKey.NAMESPACE, claims.auth.ans));
        finish = await runFlow({ session, claims, config: this.config }, stepRegistry(this.config), race);
        // §2.1 rule 7: without a DeviceId, a stale fingerprint timestamp is dropped.
        if (!(await readSetting(this.storage, SettingKey.DEVICE_ID))) {
          await writeSetting(this.storage, SettingKey.FINGERPRINT_TIMESTAMP, null);
        }
      } catch (error) {
        if (error !== CANCELLED) throw error;
        finish = true;
      } finally {
        running = false;
        release();
      }
      if (finish && this.config.finishStep) await invokeStep(this.config.finishStep, { authId });
    };

    const promise = run() as CancelablePromise<void>;
    promise.cancel = () => {
      if (!running) return;
      running = false;
      controller.abort();
      release();
      rejectCancelled(CANCELLED);
    };
    return promise;
  }

  /**
   * Whether this browser holds a registered Prove Key for the last namespace it authenticated in.
   *
   * @example
   * ```ts
   * if (await authenticator.isDeviceRegistered()) showWelcomeBack();
   * ```
   */
  async isDeviceRegistered(): Promise<boolean> {
    const namespace = await readSetting(this.storage, SettingKey.NAMESPACE);
    return namespace ? Boolean((await loadRegistration(namespace))?.deviceId) : false;
  }

  /**
   * The deviceId the server gave this browser's Prove Key, or `null`.
   *
   * @example
   * ```ts
   * const deviceId = await authenticator.getDeviceId(); // send it as `deviceId` to /v3/unify
   * ```
   */
  getDeviceId(): Promise<string | null> {
    return readSetting(this.storage, SettingKey.DEVICE_ID);
  }

  /**
   * Tells the server to forget this browser's Prove Key (a v3-signed call with no authToken),
   * then deletes it locally. Rejects with code 10006 when there is no key to unregister.
   *
   * @example
   * ```ts
   * await authenticator.unregisterDevice();
   * ```
   */
  async unregisterDevice(): Promise<void> {
    const namespace = await readSetting(this.storage, SettingKey.NAMESPACE);
    const deviceId = await readSetting(this.storage, SettingKey.DEVICE_ID);
    const registration = namespace ? await loadRegistration(namespace) : undefined;
    if (!namespace || !deviceId || !registration) {
      throw new AuthError('No registered device to unregister', { code: ClientErrorCode.NO_DEVICE_FOUND });
    }
    const session: Session = {
      namespace,
      endpoint: baseUrl(registration.endpoint),
      storage: this.storage,
      cleanups: new Set(),
    };
    const reply = await callServer(session, ClientPath.DEVICE_UNREGISTER, { deviceId });
    if (reply.error) throw serverFailure(reply);
    await wipeDevice(this.storage);
  }

  /**
   * Deletes this browser's Prove Key and settings locally, without telling the server.
   *
   * @example
   * ```ts
   * await authenticator.resetDeviceSettings();
   * ```
   */
  resetDeviceSettings(): Promise<void> {
    return wipeDevice(this.storage);
  }

  /**
   * Completes Instant Link on the page the link lands on (`finalTargetUrl?authId=…&asc=true`):
   * no network call; with `asc=true` it calls the finish step with the URL's authId.
   *
   * @example
   * ```ts
   * await new AuthenticatorBuilder()
   *   .withAuthFinishStep((input) => verify(input.authId))
   *   .build()
   *   .finishInstantLink(window.location.href);
   * ```
   */
  async finishInstantLink(redirectUrl: string): Promise<void> {
    let url: URL;
    try {
      url = new URL(redirectUrl, globalThis.location?.href);
    } catch {
      throw new AuthError('Invalid redirectUrl');
    }
    const authId = url.searchParams.get('authId');
    if (!authId) throw new AuthError('Invalid redirectUrl, authId is required');
    const asc = url.searchParams.get('asc');
    if (asc === null) throw new AuthError('Invalid redirectUrl, asc is required');
    if (asc !== 'true') throw new AuthError('Found unknown asc status, auth session cannot be completed.');
    if (this.config.finishStep) await invokeStep(this.config.finishStep, { authId });
  }
}
