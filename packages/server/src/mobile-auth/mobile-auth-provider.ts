/**
 * @module mobile-auth-provider
 * The Mobile Auth provider port and the built-in sandbox carrier.
 *
 * Mobile Auth proves possession silently through the mobile network: the browser fetches a
 * carrier URL (`redirectUrl`) and gets back an opaque `vfp`, which the platform then checks.
 * The sandbox carrier is an endpoint on the platform itself: it answers for configured numbers
 * and refuses the others, so the flow falls back to SMS OTP.
 */
import { createHmac } from 'node:crypto';
import { safeEqual } from '../lib/hash.js';

export interface MobileAuthProvider {
  /** The URL the browser must fetch for this session's Mobile Auth token. */
  redirectUrl(token: string): string;
  /** Whether the carrier recognises the number (decides the carrier endpoint's answer). */
  recognises(phoneE164: string | null): boolean;
  /** The vfp the carrier hands out for a token. */
  vfpFor(token: string): string;
  /** Whether a vfp returned by the browser is the one issued for the token. */
  verify(token: string, vfp: string): boolean;
  /**
   * The number of the line the browser is on, for a session that has none yet (number
   * discovery; a real operator adapter asks CAMARA's device-phone-number), or null.
   */
  discoverNumber(): string | null;
}

/** The sandbox carrier served at `/v1/sandbox/carrier/:token`. */
export class SandboxCarrier implements MobileAuthProvider {
  readonly #numbers: ReadonlySet<string>;
  readonly #publicUrl: () => string;
  readonly #secret: string;
  readonly #line: string | null;
  /** `line`: the number every browser's line has for number discovery (it is recognised too). */
  constructor(publicUrl: () => string, numbers: Iterable<string>, secret: string, line: string | null = null) {
    this.#publicUrl = publicUrl;
    this.#numbers = new Set(line ? [...numbers, line] : numbers);
    this.#secret = secret;
    this.#line = line;
  }
  discoverNumber(): string | null {
    return this.#line;
  }
  redirectUrl(token: string): string {
    return `${this.#publicUrl()}/v1/sandbox/carrier/${token}`;
  }
  recognises(phoneE164: string | null): boolean {
    return phoneE164 !== null && this.#numbers.has(phoneE164);
  }
  vfpFor(token: string): string {
    return createHmac('sha256', this.#secret).update(token).digest('base64url');
  }
  verify(token: string, vfp: string): boolean {
    return safeEqual(this.vfpFor(token), vfp);
  }
}
