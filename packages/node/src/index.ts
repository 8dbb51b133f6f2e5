/**
 * @module @handset/node
 * The Handset server SDK: a typed `fetch` client for `POST /token` and `/v3/*`, with token
 * caching, optional retries and typed errors. Zero runtime dependencies; types come from
 * `@handset/protocol` at compile time only.
 *
 * @example
 * ```ts
 * import { Handset, isHandsetError } from '@handset/node';
 * const handset = new Handset({ serverURL, clientId, clientSecret });
 * const { v3UnifyStatusResponse } = await handset.v3.v3UnifyStatusRequest({ correlationId });
 * ```
 */
export { Handset } from './handset.js';
export { V3 } from './v3.js';
export type { FetchLike, HandsetOptions, RequestOptions } from './options.js';
export type { BackoffOptions, RetryConfig } from './retry.js';
export { parseRetryAfter } from './retry.js';
export {
  BadRequestError,
  ErrorCode,
  ForbiddenError,
  HandsetError,
  HttpError,
  InvalidResponseError,
  isHandsetError,
  NetworkError,
  NotFoundError,
  RateLimitedError,
  ServerError,
  TimeoutError,
  UnauthorizedError,
} from './errors.js';
export type { AnyHandsetError, HandsetErrorKind, HandsetOperation } from './errors.js';
export { failureReasons } from './responses.js';
export type {
  FailureReasonEntry,
  HTTPMetadata,
  V3DeviceRevokeRequest,
  V3DeviceRevokeRequestResponse,
  V3DeviceRevokeResponse,
  V3TokenRequest,
  V3TokenRequestResponse,
  V3TokenResponse,
  V3UnifyBindRequest,
  V3UnifyBindRequestResponse,
  V3UnifyBindResponse,
  V3UnifyRequest,
  V3UnifyRequestResponse,
  V3UnifyResponse,
  V3UnifyStatusRequest,
  V3UnifyStatusRequestResponse,
  V3UnifyStatusResponse,
} from './responses.js';
export type { Evaluation, EvaluationEntry, PossessionType, UnifyOutcome } from '@handset/protocol';
export { SDK_VERSION } from './version.js';
export { verifyWebhook, WebhookVerificationError } from './webhooks.js';
export type { HandsetWebhookEvent, VerifyWebhookOptions, WebhookHeaders } from './webhooks.js';
