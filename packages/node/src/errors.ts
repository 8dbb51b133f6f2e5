/**
 * @module errors
 * The typed errors of `@handset/node`. Every failure the SDK reports is a {@link HandsetError}
 * with a stable string {@link HandsetError.kind}, so callers can `switch` on it, and, for HTTP
 * errors, the `status`, the numeric `code` and the `message` of the server's `{code, message}`
 * body (`server-api.md` §8.1).
 *
 * Messages never contain the client secret or a token: they are either the server's own
 * `message` or a fixed text written here.
 */
import type { ApiError } from '@handset/protocol';

/**
 * The stable discriminant of every SDK error.
 *
 * | kind | class | when |
 * |---|---|---|
 * | `bad_request` | {@link BadRequestError} | HTTP 400 (8001 malformed, 8007 sandbox user, 8008 unknown correlationId) |
 * | `unauthorized` | {@link UnauthorizedError} | HTTP 401 (8002 bad client credentials, or a token refused twice) |
 * | `forbidden` | {@link ForbiddenError} | HTTP 403 (8003 step not allowed) |
 * | `not_found` | {@link NotFoundError} | HTTP 404 (8011 unknown device) |
 * | `rate_limited` | {@link RateLimitedError} | HTTP 429 (8012), with `retryAfterMs` |
 * | `server` | {@link ServerError} | HTTP 5xx (8000 internal, 8013 unavailable) |
 * | `http` | {@link HttpError} | any other non-200 HTTP status |
 * | `invalid_response` | {@link InvalidResponseError} | the server answered, but not as the protocol says |
 * | `timeout` | {@link TimeoutError} | no complete answer within `timeoutMs` |
 * | `network` | {@link NetworkError} | the request could not be sent or the connection broke |
 *
 * @example
 * ```ts
 * import type { HandsetErrorKind } from '@handset/node';
 * const retryable: HandsetErrorKind[] = ['rate_limited', 'server', 'timeout', 'network'];
 * ```
 */
export type HandsetErrorKind =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'rate_limited'
  | 'server'
  | 'http'
  | 'invalid_response'
  | 'timeout'
  | 'network';

/**
 * The name of the SDK operation that failed: a `v3` method name, or `token` for the token the SDK
 * fetches by itself before an API call.
 *
 * @example
 * ```ts
 * import type { HandsetOperation } from '@handset/node';
 * const op: HandsetOperation = 'v3UnifyStatusRequest';
 * ```
 */
export type HandsetOperation =
  | 'token'
  | 'v3TokenRequest'
  | 'v3UnifyRequest'
  | 'v3UnifyStatusRequest'
  | 'v3UnifyBindRequest'
  | 'v3DeviceRevokeRequest';

/**
 * The Handset server API error codes (`server-api.md` §8.4), by stable name. The numbers are
 * checked at compile time against `@handset/protocol`'s `ApiError` table; they are copied here
 * so the SDK keeps zero runtime dependencies.
 *
 * @example
 * ```ts
 * import { ErrorCode, HandsetError } from '@handset/node';
 * try {
 *   await handset.v3.v3UnifyStatusRequest({ correlationId });
 * } catch (err) {
 *   if (err instanceof HandsetError && err.code === ErrorCode.INVALID_CORRELATION_ID) {
 *     // the session is unknown or expired: start again with v3UnifyRequest
 *   }
 * }
 * ```
 */
export const ErrorCode = {
  INTERNAL: 8000,
  MALFORMED_REQUEST: 8001,
  UNAUTHORIZED: 8002,
  STEP_NOT_ALLOWED: 8003,
  SANDBOX_USER_NOT_FOUND: 8007,
  INVALID_CORRELATION_ID: 8008,
  NOT_FOUND: 8011,
  RATE_LIMITED: 8012,
  UNAVAILABLE: 8013,
} as const satisfies { readonly [K in keyof typeof ApiError]: (typeof ApiError)[K]['code'] };

/** What every error constructor takes. */
interface HandsetErrorInit {
  message: string;
  operation: HandsetOperation;
  status?: number | undefined;
  code?: number | undefined;
  body?: unknown;
  cause?: unknown;
}

/**
 * The base class of every error the SDK throws. Use `instanceof HandsetError` to tell SDK errors
 * from others, then `switch (err.kind)`; with {@link AnyHandsetError} the switch narrows.
 *
 * - `status`: the HTTP status, or `undefined` when no response arrived (timeout, network).
 * - `code`: the numeric `code` of the `{code, message}` body, when the server sent one.
 * - `message`: the server's `message`, or a fixed SDK text.
 * - `body`: the parsed error body (or up to 1 KB of a non-JSON one); never a token response.
 * - `operation`: which SDK call failed.
 *
 * @example
 * ```ts
 * import { HandsetError, isHandsetError } from '@handset/node';
 * try {
 *   await handset.v3.v3UnifyRequest({ possessionType: 'mobile', clientRequestId: 'r-1', phoneNumber });
 * } catch (err) {
 *   if (!isHandsetError(err)) throw err;
 *   switch (err.kind) {
 *     case 'bad_request': return reply.status(400).send({ error: err.message });
 *     case 'rate_limited': return reply.header('retry-after', Math.ceil((err.retryAfterMs ?? 1000) / 1000)).status(503).send();
 *     default: throw err;
 *   }
 * }
 * ```
 */
export class HandsetError extends Error {
  /** The stable discriminant; see {@link HandsetErrorKind}. */
  readonly kind: HandsetErrorKind;
  /** The HTTP status, or `undefined` when no HTTP response arrived. */
  readonly status: number | undefined;
  /** The numeric `code` from the server's `{code, message}` body, if any. */
  readonly code: number | undefined;
  /** The parsed error body (or a short prefix of a non-JSON body), if any. */
  readonly body: unknown;
  /** The SDK operation that failed. */
  readonly operation: HandsetOperation;

  constructor(kind: HandsetErrorKind, init: HandsetErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = kind;
    this.status = init.status;
    this.code = init.code;
    this.body = init.body;
    this.operation = init.operation;
  }
}

/**
 * HTTP 400: a malformed request or invalid field (8001), a sandbox number that is not a test user
 * (8007), or an unknown or expired `correlationId` (8008). The message names the field.
 *
 * @example
 * ```ts
 * import { BadRequestError, ErrorCode } from '@handset/node';
 * if (err instanceof BadRequestError && err.code === ErrorCode.MALFORMED_REQUEST) console.warn(err.message);
 * ```
 */
export class BadRequestError extends HandsetError {
  override readonly name = 'BadRequestError';
  declare readonly kind: 'bad_request';
  declare readonly status: number;
  constructor(init: HandsetErrorInit) {
    super('bad_request', init);
  }
}

/**
 * HTTP 401 (8002). From the token endpoint it means the client id or secret is wrong; from an API
 * call it means the access token was refused even after the SDK fetched a fresh one.
 *
 * @example
 * ```ts
 * import { UnauthorizedError } from '@handset/node';
 * if (err instanceof UnauthorizedError && err.operation === 'token') console.error('check HANDSET_CLIENT_SECRET');
 * ```
 */
export class UnauthorizedError extends HandsetError {
  override readonly name = 'UnauthorizedError';
  declare readonly kind: 'unauthorized';
  declare readonly status: number;
  constructor(init: HandsetErrorInit) {
    super('unauthorized', init);
  }
}

/**
 * HTTP 403 (8003): the step is not allowed in the session's current state, for example
 * `v3UnifyBindRequest` before `v3UnifyStatusRequest` returned `possession_required`.
 *
 * @example
 * ```ts
 * import { ForbiddenError } from '@handset/node';
 * if (err instanceof ForbiddenError) console.warn('called out of order:', err.message);
 * ```
 */
export class ForbiddenError extends HandsetError {
  override readonly name = 'ForbiddenError';
  declare readonly kind: 'forbidden';
  declare readonly status: number;
  constructor(init: HandsetErrorInit) {
    super('forbidden', init);
  }
}

/**
 * HTTP 404 (8011): the `deviceId` is unknown to this client or already revoked.
 *
 * @example
 * ```ts
 * import { NotFoundError } from '@handset/node';
 * try { await handset.v3.v3DeviceRevokeRequest({ clientRequestId: 'r-9', deviceId }); }
 * catch (err) { if (!(err instanceof NotFoundError)) throw err; } // already gone: fine
 * ```
 */
export class NotFoundError extends HandsetError {
  override readonly name = 'NotFoundError';
  declare readonly kind: 'not_found';
  declare readonly status: number;
  constructor(init: HandsetErrorInit) {
    super('not_found', init);
  }
}

/**
 * HTTP 429 (8012): too many requests. `retryAfterMs` is the server's `Retry-After` (seconds or an
 * HTTP date) in milliseconds, when it sent one. With `retry: { strategy: 'backoff' }` the SDK waits
 * and retries by itself; this error then means the retry budget ran out.
 *
 * @example
 * ```ts
 * import { RateLimitedError } from '@handset/node';
 * if (err instanceof RateLimitedError) await new Promise((r) => setTimeout(r, err.retryAfterMs ?? 1000));
 * ```
 */
export class RateLimitedError extends HandsetError {
  override readonly name = 'RateLimitedError';
  declare readonly kind: 'rate_limited';
  declare readonly status: number;
  /** The server's `Retry-After`, in milliseconds, if it sent a valid one. */
  readonly retryAfterMs: number | undefined;
  constructor(init: HandsetErrorInit & { retryAfterMs?: number | undefined }) {
    super('rate_limited', init);
    this.retryAfterMs = init.retryAfterMs;
  }
}

/**
 * HTTP 5xx: 500 (8000, internal, safe to retry), 503 (8013, database unreachable), or a proxy's
 * 502/504. A non-JSON body (a proxy's HTML page) still gives this class, with a generic message.
 *
 * @example
 * ```ts
 * import { ServerError } from '@handset/node';
 * if (err instanceof ServerError) console.error(`Handset ${err.status} (${err.code ?? 'no code'})`);
 * ```
 */
export class ServerError extends HandsetError {
  override readonly name = 'ServerError';
  declare readonly kind: 'server';
  declare readonly status: number;
  /** The server's `Retry-After`, in milliseconds, if it sent a valid one (503 may). */
  readonly retryAfterMs: number | undefined;
  constructor(init: HandsetErrorInit & { retryAfterMs?: number | undefined }) {
    super('server', init);
    this.retryAfterMs = init.retryAfterMs;
  }
}

/**
 * Any other non-200 HTTP status (for example 405, 413 or a 3xx redirect, which the SDK never
 * follows).
 *
 * @example
 * ```ts
 * import { HttpError } from '@handset/node';
 * if (err instanceof HttpError) console.error('unexpected HTTP status', err.status);
 * ```
 */
export class HttpError extends HandsetError {
  override readonly name = 'HttpError';
  declare readonly kind: 'http';
  declare readonly status: number;
  constructor(init: HandsetErrorInit) {
    super('http', init);
  }
}

/**
 * The server answered, but not as the protocol says: a 2xx other than 200, a body that is not
 * JSON, or a 200 body without its required fields (for example a Unify `success` that is not a
 * string). Usually a proxy or a wrong `serverURL`.
 *
 * @example
 * ```ts
 * import { InvalidResponseError } from '@handset/node';
 * if (err instanceof InvalidResponseError) console.error('is serverURL right?', err.message);
 * ```
 */
export class InvalidResponseError extends HandsetError {
  override readonly name = 'InvalidResponseError';
  declare readonly kind: 'invalid_response';
  constructor(init: HandsetErrorInit) {
    super('invalid_response', init);
  }
}

/**
 * No complete response arrived within `timeoutMs` (per attempt). `status` is `undefined`.
 *
 * @example
 * ```ts
 * import { TimeoutError } from '@handset/node';
 * if (err instanceof TimeoutError) console.warn(`${err.operation} timed out`);
 * ```
 */
export class TimeoutError extends HandsetError {
  override readonly name = 'TimeoutError';
  declare readonly kind: 'timeout';
  declare readonly status: undefined;
  constructor(init: HandsetErrorInit) {
    super('timeout', init);
  }
}

/**
 * The request could not be sent, or the connection broke before a response (DNS failure,
 * connection refused or reset). `status` is `undefined`; `cause` holds the underlying error.
 *
 * @example
 * ```ts
 * import { NetworkError } from '@handset/node';
 * if (err instanceof NetworkError) console.error('Handset unreachable:', err.message);
 * ```
 */
export class NetworkError extends HandsetError {
  override readonly name = 'NetworkError';
  declare readonly kind: 'network';
  declare readonly status: undefined;
  constructor(init: HandsetErrorInit) {
    super('network', init);
  }
}

/**
 * The union of every concrete SDK error class. `switch (err.kind)` on it narrows to the class, so
 * `err.retryAfterMs` is typed in the `'rate_limited'` branch.
 *
 * @example
 * ```ts
 * import { isHandsetError, type AnyHandsetError } from '@handset/node';
 * function retryDelay(err: AnyHandsetError): number | undefined {
 *   return err.kind === 'rate_limited' ? err.retryAfterMs : undefined;
 * }
 * ```
 */
export type AnyHandsetError =
  | BadRequestError
  | UnauthorizedError
  | ForbiddenError
  | NotFoundError
  | RateLimitedError
  | ServerError
  | HttpError
  | InvalidResponseError
  | TimeoutError
  | NetworkError;

/**
 * Whether `value` is an error thrown by this SDK, typed as {@link AnyHandsetError}.
 *
 * @example
 * ```ts
 * import { isHandsetError } from '@handset/node';
 * try { await handset.v3.v3UnifyStatusRequest({ correlationId }); }
 * catch (err) { if (isHandsetError(err) && err.kind === 'bad_request') return null; throw err; }
 * ```
 */
export function isHandsetError(value: unknown): value is AnyHandsetError {
  return value instanceof HandsetError;
}

/**
 * Builds the error for a non-200 HTTP response, from its status and already-read body.
 *
 * @internal
 */
export function errorForStatus(
  status: number,
  init: Omit<HandsetErrorInit, 'status'> & { retryAfterMs?: number | undefined },
): AnyHandsetError {
  const full = { ...init, status };
  if (status === 400) return new BadRequestError(full);
  if (status === 401) return new UnauthorizedError(full);
  if (status === 403) return new ForbiddenError(full);
  if (status === 404) return new NotFoundError(full);
  if (status === 429) return new RateLimitedError(full);
  if (status >= 500 && status <= 599) return new ServerError(full);
  if (status >= 200 && status <= 299) return new InvalidResponseError(full);
  return new HttpError(full);
}
