/**
 * @module responses
 * What each `v3` method resolves to, and the light checks that a 200 body has its required
 * fields. Every method resolves to a wrapper named as in Prove's TypeScript SDK
 * (`{ v3UnifyResponse }`, `{ v3UnifyStatusResponse }`, …) so that code such as
 * `res.v3UnifyResponse?.authToken` works unchanged after a migration.
 *
 * Request and response bodies are the wire types of `@handset/protocol`, imported as types only.
 * Unknown response fields are kept (the server may add some); `evaluation` is passed through whole,
 * with each category's `result` and `failureReasons`.
 */
import type {
  DeviceRevokeRequest,
  DeviceRevokeResponse,
  Evaluation,
  UnifyBindRequest,
  UnifyRequest,
  UnifyResponse,
  UnifyResult,
  UnifyStatusRequest,
} from '@handset/protocol';
import { InvalidResponseError, type HandsetOperation } from './errors.js';

/**
 * HTTP details of a successful call. The body has already been read.
 *
 * @example
 * ```ts
 * const { httpMeta } = await handset.v3.v3UnifyRequest(req);
 * console.log(httpMeta.response.status, httpMeta.response.headers.get('x-request-id'));
 * ```
 */
export interface HTTPMetadata {
  response: Response;
}

/**
 * Body of `POST /v3/unify` (`server-api.md` §3.1).
 *
 * @example
 * ```ts
 * import type { V3UnifyRequest } from '@handset/node';
 * const req: V3UnifyRequest = { possessionType: 'mobile', clientRequestId: crypto.randomUUID(), phoneNumber: '2001004017' };
 * ```
 */
export type V3UnifyRequest = UnifyRequest;
/**
 * Reply of `POST /v3/unify`: `success` (`"pending"`), `correlationId`, and the `authToken` for the
 * browser SDK.
 *
 * @example
 * ```ts
 * import type { V3UnifyResponse } from '@handset/node';
 * const send = (r: V3UnifyResponse) => ({ authToken: r.authToken });
 * ```
 */
export type V3UnifyResponse = UnifyResponse;
/**
 * Body of `POST /v3/unify-status` (`server-api.md` §4.1).
 *
 * @example
 * ```ts
 * import type { V3UnifyStatusRequest } from '@handset/node';
 * const req: V3UnifyStatusRequest = { correlationId };
 * ```
 */
export type V3UnifyStatusRequest = UnifyStatusRequest;
/**
 * Reply of `POST /v3/unify-status`: `success` is `"true"`, `"false"`, `"pending"` or
 * `"possession_required"`; `evaluation` holds each category's `result` and `failureReasons`.
 *
 * @example
 * ```ts
 * import type { V3UnifyStatusResponse } from '@handset/node';
 * const bound = (r: V3UnifyStatusResponse) => r.success === 'true' && r.deviceId !== undefined;
 * ```
 */
export type V3UnifyStatusResponse = UnifyResult;
/**
 * Body of `POST /v3/unify-bind` (`server-api.md` §5.1).
 *
 * @example
 * ```ts
 * import type { V3UnifyBindRequest } from '@handset/node';
 * const req: V3UnifyBindRequest = { correlationId, phoneNumber: '2001004018' };
 * ```
 */
export type V3UnifyBindRequest = UnifyBindRequest;
/**
 * Reply of `POST /v3/unify-bind`; the same fields as {@link V3UnifyStatusResponse}.
 *
 * @example
 * ```ts
 * import type { V3UnifyBindResponse } from '@handset/node';
 * const deviceOf = (r: V3UnifyBindResponse) => r.deviceId;
 * ```
 */
export type V3UnifyBindResponse = UnifyResult;
/**
 * Body of `POST /v3/device/revoke` (`server-api.md` §7).
 *
 * @example
 * ```ts
 * import type { V3DeviceRevokeRequest } from '@handset/node';
 * const req: V3DeviceRevokeRequest = { clientRequestId: 'r-1', deviceId };
 * ```
 */
export type V3DeviceRevokeRequest = DeviceRevokeRequest;
/**
 * Reply of `POST /v3/device/revoke`; `success` is a boolean here, unlike Unify.
 *
 * @example
 * ```ts
 * import type { V3DeviceRevokeResponse } from '@handset/node';
 * const ok = (r: V3DeviceRevokeResponse) => r.success;
 * ```
 */
export type V3DeviceRevokeResponse = DeviceRevokeResponse;

/**
 * Argument of `v3TokenRequest`, in the camelCase of Prove's SDK. Every field defaults to the
 * instance's credentials and `client_credentials`.
 *
 * @example
 * ```ts
 * import type { V3TokenRequest } from '@handset/node';
 * const req: V3TokenRequest = { clientId: 'other-client', clientSecret: otherSecret, grantType: 'client_credentials' };
 * ```
 */
export interface V3TokenRequest {
  clientId?: string;
  clientSecret?: string;
  grantType?: string;
}

/**
 * A token response in the camelCase of Prove's SDK (the wire is `access_token`, `token_type`,
 * `expires_in`).
 *
 * @example
 * ```ts
 * import type { V3TokenResponse } from '@handset/node';
 * const header = (t: V3TokenResponse) => `${t.tokenType} ${t.accessToken}`;
 * ```
 */
export interface V3TokenResponse {
  accessToken: string;
  tokenType: string;
  /** Lifetime in seconds (3600). */
  expiresIn: number;
  refreshToken?: string;
  refreshExpiresIn?: number;
}

/**
 * Result of `v3.v3TokenRequest`.
 *
 * @example
 * ```ts
 * const { v3TokenResponse } = await handset.v3.v3TokenRequest();
 * ```
 */
export interface V3TokenRequestResponse {
  httpMeta: HTTPMetadata;
  v3TokenResponse: V3TokenResponse;
}

/**
 * Result of `v3.v3UnifyRequest`.
 *
 * @example
 * ```ts
 * const res = await handset.v3.v3UnifyRequest(req);
 * const authToken = res.v3UnifyResponse?.authToken;
 * ```
 */
export interface V3UnifyRequestResponse {
  httpMeta: HTTPMetadata;
  v3UnifyResponse: V3UnifyResponse;
}

/**
 * Result of `v3.v3UnifyStatusRequest`.
 *
 * @example
 * ```ts
 * const res = await handset.v3.v3UnifyStatusRequest({ correlationId });
 * if (res.v3UnifyStatusResponse.success === 'possession_required') { ... }
 * ```
 */
export interface V3UnifyStatusRequestResponse {
  httpMeta: HTTPMetadata;
  v3UnifyStatusResponse: V3UnifyStatusResponse;
}

/**
 * Result of `v3.v3UnifyBindRequest`.
 *
 * @example
 * ```ts
 * const res = await handset.v3.v3UnifyBindRequest({ correlationId, phoneNumber });
 * const deviceId = res.v3UnifyBindResponse.deviceId;
 * ```
 */
export interface V3UnifyBindRequestResponse {
  httpMeta: HTTPMetadata;
  v3UnifyBindResponse: V3UnifyBindResponse;
}

/**
 * Result of `v3.v3DeviceRevokeRequest`.
 *
 * @example
 * ```ts
 * const res = await handset.v3.v3DeviceRevokeRequest({ clientRequestId: 'r-1', deviceId });
 * console.log(res.v3DeviceRevokeResponse.success); // true
 * ```
 */
export interface V3DeviceRevokeRequestResponse {
  httpMeta: HTTPMetadata;
  v3DeviceRevokeResponse: V3DeviceRevokeResponse;
}

/** The wire form of a token reply, as checked by {@link checkTokenBody}. */
export interface TokenBody {
  access_token: string;
  token_type: string;
  expires_in: number | undefined;
  refresh_token?: string;
  refresh_expires_in?: number;
}

const UNIFY_OUTCOMES = new Set(['pending', 'true', 'false', 'possession_required']);

function invalid(operation: HandsetOperation, problem: string, body?: unknown): InvalidResponseError {
  return new InvalidResponseError({ operation, status: 200, message: `${operation}: ${problem}`, body });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a token reply. The body is never copied into the error: it holds a token.
 *
 * @internal
 */
export function checkTokenBody(value: unknown, operation: HandsetOperation): TokenBody {
  if (!isRecord(value)) throw invalid(operation, 'the token response is not a JSON object');
  const { access_token, token_type, expires_in } = value;
  if (typeof access_token !== 'string' || access_token === '') throw invalid(operation, 'access_token is missing');
  if (typeof token_type !== 'string' || token_type.toLowerCase() !== 'bearer') {
    throw invalid(operation, 'token_type is not "Bearer"');
  }
  if (expires_in !== undefined && (typeof expires_in !== 'number' || !Number.isFinite(expires_in))) {
    throw invalid(operation, 'expires_in is not a number');
  }
  return value as unknown as TokenBody;
}

function checkEvaluation(value: unknown, operation: HandsetOperation): void {
  if (value === undefined) return;
  if (!isRecord(value) || !Object.values(value).every(isRecord)) {
    throw invalid(operation, 'evaluation must be an object of objects', value);
  }
}

/**
 * Checks a `/v3/unify` reply.
 *
 * @internal
 */
export function checkUnifyResponse(value: unknown, operation: HandsetOperation): UnifyResponse {
  if (!isRecord(value)) throw invalid(operation, 'the response is not a JSON object', value);
  if (typeof value.success !== 'string' || !UNIFY_OUTCOMES.has(value.success)) {
    throw invalid(operation, 'success is not one of "pending", "true", "false", "possession_required"', value);
  }
  if (typeof value.correlationId !== 'string' || value.correlationId === '') {
    throw invalid(operation, 'correlationId is missing', value);
  }
  if (value.authToken !== undefined && typeof value.authToken !== 'string') {
    throw invalid(operation, 'authToken is not a string', value);
  }
  return value as unknown as UnifyResponse;
}

/**
 * Checks a `/v3/unify-status` or `/v3/unify-bind` reply.
 *
 * @internal
 */
export function checkUnifyResult(value: unknown, operation: HandsetOperation): UnifyResult {
  if (!isRecord(value)) throw invalid(operation, 'the response is not a JSON object', value);
  if (typeof value.success !== 'string' || !UNIFY_OUTCOMES.has(value.success)) {
    throw invalid(operation, 'success is not one of "pending", "true", "false", "possession_required"', value);
  }
  checkEvaluation(value.evaluation, operation);
  return value as unknown as UnifyResult;
}

/**
 * Checks a `/v3/device/revoke` reply.
 *
 * @internal
 */
export function checkDeviceRevokeResponse(value: unknown, operation: HandsetOperation): DeviceRevokeResponse {
  if (!isRecord(value) || typeof value.success !== 'boolean') {
    throw invalid(operation, 'success is not a boolean', value);
  }
  return value as unknown as DeviceRevokeResponse;
}

/**
 * One failure reason of an {@link Evaluation}, flattened by {@link failureReasons}.
 *
 * @example
 * ```ts
 * import type { FailureReasonEntry } from '@handset/node';
 * const describe = (r: FailureReasonEntry) => `${r.category} ${r.code}: ${r.description}`;
 * ```
 */
export interface FailureReasonEntry {
  /** The Global Fraud Policy category, e.g. `authentication`. */
  category: string;
  /** The reason code as a string, e.g. `"9101"`. */
  code: string;
  /** The server's description of the reason. */
  description: string;
}

/**
 * Flattens an `evaluation` into a list of failure reasons, category by category. Returns `[]`
 * when there is no evaluation or nothing failed.
 *
 * @example
 * ```ts
 * import { failureReasons } from '@handset/node';
 * const { v3UnifyStatusResponse: status } = await handset.v3.v3UnifyStatusRequest({ correlationId });
 * if (failureReasons(status.evaluation).some((r) => r.code === '9101')) {
 *   // the number does not match the Prove Key: run your own check, then v3UnifyBindRequest
 * }
 * ```
 */
export function failureReasons(evaluation: Evaluation | undefined): FailureReasonEntry[] {
  if (evaluation === undefined) return [];
  return Object.entries(evaluation).flatMap(([category, entry]) =>
    Object.entries(entry.failureReasons ?? {}).map(([code, description]) => ({ category, code, description })),
  );
}
