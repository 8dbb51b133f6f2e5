/**
 * @module domain-error-status
 * The one table from a use case's error kind to the wire: HTTP status and `{code}` of the
 * protocol's error table.
 */
import type { ApiErrorName } from '@handset/protocol';
import type { DomainErrorKind } from '../flows/domain-error.js';

export const DOMAIN_ERROR_API: Record<DomainErrorKind, ApiErrorName> = {
  invalid_request: 'MALFORMED_REQUEST',
  unauthenticated: 'UNAUTHORIZED',
  step_not_allowed: 'STEP_NOT_ALLOWED',
  unknown_session: 'INVALID_CORRELATION_ID',
  unknown_device: 'NOT_FOUND',
  not_a_sandbox_user: 'SANDBOX_USER_NOT_FOUND',
};
