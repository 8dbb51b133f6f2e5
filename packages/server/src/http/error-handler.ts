/**
 * @module error-handler
 * Turns every failure into the documented HTTP status and `{code, message}` body. Nothing
 * reaches the client as a 500 unless it is truly unexpected, and then without internals.
 */
import { ApiError } from '@handset/protocol';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../flows/domain-error.js';
import { HttpError } from './api-error.js';
import { DOMAIN_ERROR_API } from './domain-error-status.js';
import { isDatabaseUnavailable } from './database-errors.js';

interface ValidationItem {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

function fieldName(item: ValidationItem): string {
  const path = item.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (item.keyword === 'required') {
    const missing = String(item.params.missingProperty ?? '');
    return path ? `${path}.${missing}` : missing;
  }
  return path;
}

/** "field 'x' is missing" / "field 'x' is invalid: must be …": the message names the field. */
export function validationMessage(items: readonly ValidationItem[], context: string): string {
  const item = items[0];
  if (!item) return 'the request is malformed';
  const field = fieldName(item);
  if (item.keyword === 'required') return `field '${field}' is missing`;
  if (!field) return `the ${context} must be a JSON object`;
  if (item.keyword === 'maxLength') return `field '${field}' is too long (at most ${item.params.limit} characters)`;
  if (item.keyword === 'pattern') return `field '${field}' contains characters that are not allowed`;
  if (item.keyword === 'anyOf' || item.keyword === 'const' || item.keyword === 'enum') {
    return `field '${field}' has a value that is not allowed`;
  }
  return `field '${field}' is invalid: ${item.message ?? 'wrong type'}`;
}

const FRAMEWORK_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'the request body must be smaller than 4 KB',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported Content-Type: send application/json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'the request body is empty',
  FST_ERR_CTP_INVALID_JSON_BODY: 'the request body is not valid JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'the Content-Length does not match the body',
};

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof HttpError) {
      return reply.code(error.status).headers(error.headers).send({ code: error.code, message: error.message });
    }
    if (error instanceof DomainError) {
      const { code, status } = ApiError[DOMAIN_ERROR_API[error.kind]];
      return reply.code(status).send({ code, message: error.message });
    }
    if (error.validation) {
      const { code, status } = ApiError.MALFORMED_REQUEST;
      return reply
        .code(status)
        .send({ code, message: validationMessage(error.validation as ValidationItem[], error.validationContext ?? 'body') });
    }
    if (isDatabaseUnavailable(error)) {
      request.log.error({ err: { message: error.message, code: error.code } }, 'database unavailable');
      const { code, status } = ApiError.UNAVAILABLE;
      return reply.code(status).header('retry-after', '1').send({ code, message: 'the platform cannot reach its database; retry shortly' });
    }
    const known = error.code ? FRAMEWORK_MESSAGES[error.code] : undefined;
    if (known || (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)) {
      const { code, status } = ApiError.MALFORMED_REQUEST;
      return reply.code(status).send({ code, message: known ?? 'the request is malformed' });
    }
    request.log.error({ err: error }, 'unexpected error');
    const { code, status } = ApiError.INTERNAL;
    return reply.code(status).send({ code, message: 'internal error; the request may be retried' });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ code: ApiError.NOT_FOUND.code, message: `no endpoint ${request.method} ${request.url.split('?')[0]}` });
  });
}
