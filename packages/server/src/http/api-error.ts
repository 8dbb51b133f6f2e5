/**
 * @module api-error
 * The error every route throws for an expected failure. The error handler turns it into the
 * HTTP status and `{code, message}` body of the protocol's error table.
 */
import { ApiError, type ApiErrorName } from '@handset/protocol';

export class HttpError extends Error {
  readonly status: number;
  readonly code: number;
  readonly headers: Record<string, string>;
  constructor(name: ApiErrorName, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = ApiError[name].status;
    this.code = ApiError[name].code;
    this.headers = headers;
  }
}

/** Shorthand: `throw apiError('MALFORMED_REQUEST', "field 'x' is missing")`. */
export function apiError(name: ApiErrorName, message: string, headers?: Record<string, string>): HttpError {
  return new HttpError(name, message, headers);
}
