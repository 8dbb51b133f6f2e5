/**
 * @module options
 * The options of {@link Handset} and of each call, and their validation. Invalid options throw a
 * `TypeError` at construction, never later inside a request.
 */
import { resolveRetryPolicy, type RetryConfig, type RetryPolicy } from './retry.js';
import { resolveEndpoints, type Endpoints } from './urls.js';

/**
 * The `fetch` signature the SDK uses (the global one by default). Pass your own to route through
 * a proxy agent or to observe requests.
 *
 * @example
 * ```ts
 * import { Handset, type FetchLike } from '@handset/node';
 * const timed: FetchLike = async (url, init) => {
 *   const started = performance.now();
 *   try { return await fetch(url, init); } finally { metrics.observe(new URL(url).pathname, performance.now() - started); }
 * };
 * const handset = new Handset({ serverURL, clientId, clientSecret, fetch: timed });
 * ```
 */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/**
 * Options of `new Handset(...)`.
 *
 * Credentials are given either as `clientId` + `clientSecret` or, as in Prove's TypeScript SDK,
 * as `security: { clientID, clientSecret }`. `retryConfig` is accepted as an alias of `retry`.
 *
 * @example
 * ```ts
 * import { Handset } from '@handset/node';
 * const handset = new Handset({
 *   serverURL: 'https://handset.example.com',
 *   clientId: process.env.HANDSET_CLIENT_ID!,
 *   clientSecret: process.env.HANDSET_CLIENT_SECRET!,
 *   timeoutMs: 10_000,
 *   retry: { strategy: 'backoff', backoff: { maxElapsedTime: 30_000 } },
 * });
 * ```
 */
export interface HandsetOptions {
  /**
   * Base URL of the Handset server, e.g. `https://handset.example.com` or
   * `https://example.com/handset` (API calls keep the `/handset` prefix; `/token` is always
   * requested at the host root, `https://example.com/token`).
   */
  serverURL: string;
  /** OAuth client id (from `handset clients create`). */
  clientId?: string;
  /** OAuth client secret. Kept in a private field; never logged or put in error messages. */
  clientSecret?: string;
  /** Prove-style credentials, an alternative to `clientId`/`clientSecret`. */
  security?: { clientID: string; clientSecret: string };
  /**
   * Time limit of each HTTP attempt, in ms (including reading the body). Default 30 000;
   * `Infinity` (or anything above 2^31 − 1 ms, about 24.8 days) for none.
   */
  timeoutMs?: number;
  /** Retry policy; default `{ strategy: 'none' }`. See {@link RetryConfig}. */
  retry?: RetryConfig;
  /** Alias of `retry`, the name Prove's TypeScript SDK uses. */
  retryConfig?: RetryConfig;
  /** The `fetch` to use. Default: the global `fetch`. Useful for proxies, instrumentation and tests. */
  fetch?: FetchLike;
  /**
   * Clock in epoch milliseconds, used for token expiry, HTTP-date `Retry-After` and the retry
   * budget. Default `Date.now`. Tests inject one to move time forward.
   */
  now?: () => number;
  /**
   * How the SDK waits between retries. Default: a `setTimeout` that stops early when the call's
   * `signal` aborts. Tests inject one to observe or skip waits.
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Per-call options, the second argument of every `v3` method.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const res = await handset.v3.v3UnifyStatusRequest(
 *   { correlationId },
 *   { timeoutMs: 5_000, retries: { strategy: 'backoff' }, signal: controller.signal },
 * );
 * ```
 */
export interface RequestOptions {
  /** Overrides the instance's retry policy for this call (Prove's per-call name). */
  retries?: RetryConfig;
  /** Overrides the instance's `timeoutMs` for this call's API attempts. */
  timeoutMs?: number;
  /** Aborts the call; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The validated configuration the internals use. */
export interface ResolvedOptions {
  endpoints: Endpoints;
  clientId: string;
  clientSecret: string;
  timeoutMs: number;
  retry: RetryPolicy;
  fetch: FetchLike;
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Default time limit of one HTTP attempt. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Validates a `timeoutMs` value: a positive number or `Infinity`.
 *
 * @internal
 */
export function checkTimeout(value: unknown, label: string): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    throw new TypeError(`${label} must be a positive number of milliseconds (or Infinity)`);
  }
  return value;
}

/**
 * A `setTimeout` promise that rejects with the signal's reason when it aborts.
 *
 * @internal
 */
export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.min(ms, 2 ** 31 - 1),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Validates {@link HandsetOptions} and fills in defaults. Throws `TypeError` on bad input; the
 * messages never repeat the secret.
 *
 * @internal
 */
export function resolveOptions(options: HandsetOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('Handset options are required');
  const endpoints = resolveEndpoints(options.serverURL);
  const clientId = options.clientId ?? options.security?.clientID;
  const clientSecret = options.clientSecret ?? options.security?.clientSecret;
  if (typeof clientId !== 'string' || clientId === '') throw new TypeError('clientId is required');
  if (typeof clientSecret !== 'string' || clientSecret === '') throw new TypeError('clientSecret is required');
  if (options.retry !== undefined && options.retryConfig !== undefined) {
    throw new TypeError('give either retry or retryConfig, not both');
  }
  const timeoutMs = options.timeoutMs === undefined ? DEFAULT_TIMEOUT_MS : checkTimeout(options.timeoutMs, 'timeoutMs');
  const retry = resolveRetryPolicy(options.retry ?? options.retryConfig, options.retry ? 'retry' : 'retryConfig');
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') throw new TypeError('no fetch available: pass options.fetch');
  for (const key of ['now', 'sleep'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function') throw new TypeError(`${key} must be a function`);
  }
  return {
    endpoints,
    clientId,
    clientSecret,
    timeoutMs,
    retry,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    now: options.now ?? Date.now,
    sleep: options.sleep ?? defaultSleep,
  };
}
