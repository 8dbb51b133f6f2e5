/**
 * @module number-verification
 * {@link NumberVerificationClient}: CAMARA Number Verification over the operator's OIDC
 * authorization code flow (channels.md §4, decision CH3).
 *
 * 1. {@link NumberVerificationClient.start} builds the authorization URL the browser is sent to
 *    (`prompt=none`, the session-bound state of ./state.ts, the scope for `/verify` when the
 *    session has a number, for `/device-phone-number` when it has none).
 * 2. The operator recognises the line and sends the browser to Handset's callback with
 *    `code` + `state` (or `error`).
 * 3. {@link NumberVerificationClient.finish} checks the state, exchanges the code and calls the
 *    API. Every way that can fail is a typed result; none throws, none holds the caller longer
 *    than the operator's `timeoutMs`, and none carries the secret, the code or the token.
 */
import { createHash } from 'node:crypto';
import { EndpointResolver } from './endpoints.js';
import { callOperator, describeFailure, failureReason, type FetchLike, type OperatorFailure } from './operator-http.js';
import type { OperatorConfig } from './operator-config.js';
import { checkState, createState, type StateRefusal } from './state.js';
import { requestToken } from './token-request.js';

/**
 * Why the operator did not prove the number. Every one of these falls back to OTP (CH3):
 *
 * - `login_required`, `access_denied`: the operator did not recognise the line (not on mobile
 *   data, another operator, the subscriber opted out);
 * - `operator_error`: another `error` in the redirect, or a code without state handling problems
 *   but refused at the token endpoint (4xx), or a 4xx from the API;
 * - `operator_unavailable`: 5xx, 429 or a network error at discovery, token or API;
 * - `timeout`: no answer within `timeoutMs`;
 * - `malformed_answer`: an answer that is not the documented JSON;
 * - `missing_code`: the callback had neither `code` nor `error`.
 */
export type FallbackReason = 'login_required' | 'access_denied' | 'operator_error' | 'operator_unavailable' | 'timeout' | 'malformed_answer' | 'missing_code';

/** The outcome of a Number Verification attempt, for the Mobile Auth step. */
export type NumberVerificationResult =
  /** The operator confirmed the session's number (`/verify` true), or told the line's number (`/device-phone-number`). */
  | { outcome: 'verified'; phoneNumber: string; method: 'verify' | 'device-phone-number' }
  /** The browser is on another number than the session's (`/verify` false): fall back to OTP. */
  | { outcome: 'not_verified' }
  /** The operator could not answer: fall back to OTP. `detail` is safe to log. */
  | { outcome: 'fallback'; reason: FallbackReason; detail: string }
  /**
   * The callback is not for this session (tampered, foreign, expired or unreadable state): finish
   * nothing, answer the callback with an error; the session itself can still fall back to OTP.
   */
  | { outcome: 'refused'; reason: StateRefusal };

/** The start of an attempt: where to send the browser, or why not (fall back at once). */
export type StartResult = { ok: true; url: string; state: string } | { ok: false; result: Extract<NumberVerificationResult, { outcome: 'fallback' }> };

/** Options of {@link NumberVerificationClient}. */
export interface NumberVerificationOptions {
  /** HMAC key of the state (at least 32 bytes; e.g. derived from the platform secret). */
  stateKey: string | Uint8Array;
  /** How long a started attempt may take to come back; default 300 s. */
  stateTtlSeconds?: number;
  /** Milliseconds since the epoch; default `Date.now`. */
  now?: () => number;
  /** Default global `fetch`. */
  fetch?: FetchLike;
}

const E164 = /^\+[1-9][0-9]{4,14}$/;

function fallback(failure: OperatorFailure): Extract<NumberVerificationResult, { outcome: 'fallback' }> {
  const reason: FallbackReason = failureReason(failure);
  return { outcome: 'fallback', reason, detail: describeFailure(failure) };
}

/**
 * One operator's Number Verification.
 *
 * @example
 * const nv = new NumberVerificationClient(operator, { stateKey });
 * const started = await nv.start({ sessionId, phoneNumber });        // send the browser to started.url
 * // …at the callback, with the query the operator sent back:
 * const session = nv.sessionOf(query.get('state'));                  // load that session, then
 * const result = await nv.finish({ sessionId: session, phoneNumber, query });
 * if (result.outcome === 'refused') refuseCallback();                // not this session's callback
 * else if (result.outcome !== 'verified') fallBackToOtp();
 */
export class NumberVerificationClient {
  readonly #operator: OperatorConfig;
  readonly #key: string | Uint8Array;
  readonly #ttl: number;
  readonly #now: () => number;
  readonly #fetch: FetchLike;
  readonly #endpoints: EndpointResolver;

  constructor(operator: OperatorConfig, options: NumberVerificationOptions) {
    if (Buffer.byteLength(options.stateKey) < 32) throw new Error('NumberVerificationClient: stateKey must be at least 32 bytes');
    this.#operator = operator;
    this.#key = options.stateKey;
    this.#ttl = options.stateTtlSeconds ?? 300;
    this.#now = options.now ?? Date.now;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#endpoints = new EndpointResolver(operator, this.#fetch, this.#now);
  }

  /** The operator's name (what a state names). */
  get operator(): string {
    return this.#operator.name;
  }

  /**
   * The authorization URL for `sessionId`: `/verify`'s scope when the session has `phoneNumber`,
   * `/device-phone-number`'s when it has none. The number itself never goes into the URL.
   */
  async start(options: { sessionId: string; phoneNumber: string | null }): Promise<StartResult> {
    const resolved = await this.#endpoints.resolve(AbortSignal.timeout(this.#operator.timeoutMs));
    if (!resolved.ok) return { ok: false, result: fallback(resolved.failure) };
    const { state, claims } = createState(this.#key, { sessionId: options.sessionId, operator: this.#operator.name, ttlSeconds: this.#ttl, nowMs: this.#now() });
    const url = new URL(resolved.endpoints.authorizationEndpoint);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.#operator.clientId);
    url.searchParams.set('redirect_uri', this.#operator.redirectUri);
    url.searchParams.set('scope', options.phoneNumber === null ? this.#operator.scopes.devicePhoneNumber : this.#operator.scopes.verify);
    url.searchParams.set('state', state);
    url.searchParams.set('nonce', claims.nonce);
    url.searchParams.set('prompt', 'none');
    return { ok: true, url: url.href, state };
  }

  /**
   * The session a callback's state names, once its MAC and expiry check (for the callback route
   * to load that session); null when the state is not a good one from this operator.
   */
  sessionOf(state: unknown): string | null {
    const checked = checkState(this.#key, state, { nowMs: this.#now() });
    return checked.ok && checked.claims.operator === this.#operator.name ? checked.claims.sessionId : null;
  }

  /**
   * Finishes an attempt from the callback's query (`code`, `state`, or `error`), for the session
   * `sessionId` whose number is `phoneNumber` (null: learn it from the operator).
   */
  async finish(options: { sessionId: string; phoneNumber: string | null; query: URLSearchParams }): Promise<NumberVerificationResult> {
    const { query } = options;
    const checked = checkState(this.#key, query.get('state'), { nowMs: this.#now(), sessionId: options.sessionId });
    if (!checked.ok) return { outcome: 'refused', reason: checked.reason };
    if (checked.claims.operator !== this.#operator.name) return { outcome: 'refused', reason: 'other_session' };

    const error = query.get('error');
    if (error !== null) {
      const reason = error === 'login_required' || error === 'access_denied' ? error : 'operator_error';
      // Only a short token from the operator's error reaches the detail, never its description.
      return { outcome: 'fallback', reason, detail: /^[a-z_]{1,40}$/.test(error) ? `error=${error}` : 'error' };
    }
    const code = query.get('code');
    if (code === null || code === '') return { outcome: 'fallback', reason: 'missing_code', detail: 'no code in the callback' };

    // One deadline over the code exchange and the API call: the person is waiting on this.
    const signal = AbortSignal.timeout(this.#operator.timeoutMs);
    const resolved = await this.#endpoints.resolve(signal);
    if (!resolved.ok) return fallback(resolved.failure);
    const exchanged = await requestToken(this.#fetch, this.#operator, resolved.endpoints.tokenEndpoint, { grant_type: 'authorization_code', code, redirect_uri: this.#operator.redirectUri }, signal);
    if (!exchanged.ok) return fallback(exchanged.failure);
    const headers = { authorization: `Bearer ${exchanged.token.accessToken}`, accept: 'application/json' };
    const base = `${this.#operator.apiRoot}/number-verification/v2`;

    if (options.phoneNumber === null) {
      const answer = await callOperator(this.#fetch, `${base}/device-phone-number`, { method: 'GET', headers }, signal);
      if (!answer.ok) return fallback(answer.failure);
      const number = answer.json.devicePhoneNumber;
      if (typeof number !== 'string' || !E164.test(number)) return { outcome: 'fallback', reason: 'malformed_answer', detail: 'devicePhoneNumber is not E.164' };
      return { outcome: 'verified', phoneNumber: number, method: 'device-phone-number' };
    }
    const body =
      this.#operator.verifyWith === 'hashedPhoneNumber'
        ? { hashedPhoneNumber: createHash('sha256').update(options.phoneNumber).digest('hex') }
        : { phoneNumber: options.phoneNumber };
    const answer = await callOperator(this.#fetch, `${base}/verify`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) }, signal);
    if (!answer.ok) return fallback(answer.failure);
    const verified = answer.json.devicePhoneNumberVerified;
    if (typeof verified !== 'boolean') return { outcome: 'fallback', reason: 'malformed_answer', detail: 'devicePhoneNumberVerified is not a boolean' };
    return verified ? { outcome: 'verified', phoneNumber: options.phoneNumber, method: 'verify' } : { outcome: 'not_verified' };
  }
}
