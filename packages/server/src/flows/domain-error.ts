/**
 * @module domain-error
 * The errors a use case raises when a request cannot be served. Each has a stable kind; the HTTP
 * layer maps kinds to statuses and wire codes in one table (http/domain-error-status.ts), so
 * flows/ knows nothing of HTTP.
 */

export type DomainErrorKind =
  /** A field is missing, malformed or inconsistent (the message names it). */
  | 'invalid_request'
  /** The caller's credentials do not (or no longer) identify a client. */
  | 'unauthenticated'
  /** The session does not allow this step in its current state. */
  | 'step_not_allowed'
  /** No session with this correlationId for this client (or it was purged). */
  | 'unknown_session'
  /** No such device key for this client. */
  | 'unknown_device'
  /** Sandbox mode and a number that is not a documented test user. */
  | 'not_a_sandbox_user';

export class DomainError extends Error {
  readonly kind: DomainErrorKind;
  constructor(kind: DomainErrorKind, message: string) {
    super(message);
    this.name = 'DomainError';
    this.kind = kind;
  }
}

/** Shorthand: `throw domainError('invalid_request', "field 'x' is missing")`. */
export function domainError(kind: DomainErrorKind, message: string): DomainError {
  return new DomainError(kind, message);
}
