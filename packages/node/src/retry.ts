/**
 * @module retry
 * The retry policy: which answers are retried, how long to wait (exponential backoff with jitter,
 * or the server's `Retry-After`), and when to give up. Facts: `server-api.md` §8.3 — retries are
 * off unless the caller asks for `strategy: 'backoff'`; retried statuses are 429, 500, 502, 503
 * and 504; `Retry-After` is honoured as seconds or as an HTTP date.
 */

/** HTTP statuses retried when backoff is on (`server-api.md` §8.3). */
export const RETRYABLE_STATUSES: readonly number[] = [429, 500, 502, 503, 504];

/**
 * Backoff timings, in milliseconds. Defaults follow `server-api.md` §8.3: initial 500 ms,
 * at most 60 s between attempts, exponent 1.5, give up after 1 h in total.
 *
 * @example
 * ```ts
 * import type { BackoffOptions } from '@handset/node';
 * const quick: BackoffOptions = { initialInterval: 200, maxInterval: 2_000, exponent: 2, maxElapsedTime: 10_000 };
 * ```
 */
export interface BackoffOptions {
  /** Wait before the first retry, in ms. Default 500. */
  initialInterval: number;
  /** Longest computed wait between attempts, in ms. Default 60 000. */
  maxInterval: number;
  /** Growth factor of the wait per attempt. Default 1.5. */
  exponent: number;
  /** Stop retrying once this much time has passed since the first attempt, in ms. Default 3 600 000. */
  maxElapsedTime: number;
}

/**
 * How the SDK retries. The shape is the one Prove's TypeScript SDK takes as `retryConfig` /
 * `retries`, so existing configuration carries over.
 *
 * - `{ strategy: 'none' }` (the default): every error is thrown at once.
 * - `{ strategy: 'backoff', backoff?, retryConnectionErrors? }`: 429/500/502/503/504 are retried,
 *   waiting `Retry-After` when the server sends it and the backoff interval otherwise. With
 *   `retryConnectionErrors: true` (default `false`), network errors and timeouts are retried too;
 *   they are off by default because a request that timed out may have been processed.
 *
 * @example
 * ```ts
 * import { Handset, type RetryConfig } from '@handset/node';
 * const retry: RetryConfig = { strategy: 'backoff', backoff: { maxElapsedTime: 30_000 } };
 * const handset = new Handset({ serverURL, clientId, clientSecret, retry });
 * ```
 */
export type RetryConfig =
  | { strategy: 'none' }
  | { strategy: 'backoff'; backoff?: Partial<BackoffOptions>; retryConnectionErrors?: boolean };

/** A {@link RetryConfig} with every default filled in. */
export interface RetryPolicy {
  enabled: boolean;
  backoff: BackoffOptions;
  retryConnectionErrors: boolean;
}

/** The defaults of {@link BackoffOptions}. */
export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  initialInterval: 500,
  maxInterval: 60_000,
  exponent: 1.5,
  maxElapsedTime: 3_600_000,
});

/** The policy used when no retry option is given: no retries. */
export const NO_RETRIES: RetryPolicy = Object.freeze({
  enabled: false,
  backoff: DEFAULT_BACKOFF,
  retryConnectionErrors: false,
});

const isNonNegative = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;

/**
 * Validates a {@link RetryConfig} and fills in its defaults. Throws `TypeError` on a malformed one.
 *
 * @internal
 */
export function resolveRetryPolicy(config: RetryConfig | undefined, label: string): RetryPolicy {
  if (config === undefined) return NO_RETRIES;
  if (typeof config !== 'object' || config === null) throw new TypeError(`${label} must be an object`);
  if (config.strategy === 'none') return NO_RETRIES;
  if (config.strategy !== 'backoff') throw new TypeError(`${label}.strategy must be 'none' or 'backoff'`);
  const backoff = { ...DEFAULT_BACKOFF, ...stripUndefined(config.backoff ?? {}) };
  for (const key of ['initialInterval', 'maxInterval', 'maxElapsedTime'] as const) {
    if (!isNonNegative(backoff[key])) throw new TypeError(`${label}.backoff.${key} must be a number >= 0`);
  }
  if (!(typeof backoff.exponent === 'number' && Number.isFinite(backoff.exponent) && backoff.exponent >= 1)) {
    throw new TypeError(`${label}.backoff.exponent must be a number >= 1`);
  }
  const retryConnectionErrors = config.retryConnectionErrors ?? false;
  if (typeof retryConnectionErrors !== 'boolean') throw new TypeError(`${label}.retryConnectionErrors must be a boolean`);
  return { enabled: true, backoff, retryConnectionErrors };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Parses a `Retry-After` header: delay-seconds (`"120"`) or an HTTP date
 * (`"Wed, 21 Oct 2015 07:28:00 GMT"`). Returns the wait in milliseconds (0 for a date in the past),
 * or `undefined` when the header is absent or malformed.
 *
 * @example
 * ```ts
 * import { parseRetryAfter } from '@handset/node';
 * parseRetryAfter('2', Date.now()); // 2000
 * ```
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds) ? seconds * 1000 : undefined;
  }
  // Every HTTP date form (IMF-fixdate, RFC 850, asctime) starts with a weekday name; Date.parse
  // alone would also accept values like "1.5" or "-1" that are not valid headers. asctime carries
  // no zone but is GMT by definition.
  if (!/^[A-Za-z]{3,9},? /.test(text)) return undefined;
  const at = Date.parse(/GMT$/.test(text) ? text : `${text} GMT`);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * The backoff wait before retry number `attempt` (0 for the first retry): the exponential
 * interval capped at `maxInterval`, with up to 25 % random jitter taken off so that many clients
 * do not retry in lockstep.
 *
 * @internal
 */
export function backoffDelay(attempt: number, backoff: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(backoff.maxInterval, backoff.initialInterval * backoff.exponent ** attempt);
  return Math.round(base * (1 - 0.25 * random()));
}
