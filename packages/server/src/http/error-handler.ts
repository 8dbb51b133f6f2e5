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
import { sendMalformed } from './error-answers.js';
import { allowedMethods, trackRoutes } from './route-methods.js';

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

/** What a validated value is called in messages, by where Fastify found it. */
const NOUN: Record<string, string> = { querystring: 'query parameter', headers: 'header', params: 'path parameter' };

/** "field 'x' is missing" / "field 'x' is invalid: must be …": the message names the field. */
export function validationMessage(items: readonly ValidationItem[], context: string): string {
  const item = items[0];
  if (!item) return 'the request is malformed';
  const field = fieldName(item);
  const noun = NOUN[context] ?? 'field';
  if (item.keyword === 'required') return `${noun} '${field}' is missing`;
  if (item.keyword === 'additionalProperties') {
    const extra = String(item.params.additionalProperty ?? '').replace(/[^\x20-\x7e]/g, '?').slice(0, 40);
    return `${noun} '${field ? `${field}.` : ''}${extra}' is not allowed here`;
  }
  if (!field) return `the ${context} must be a JSON object`;
  if (item.keyword === 'maxLength') return `${noun} '${field}' is too long (at most ${item.params.limit} characters)`;
  if (item.keyword === 'pattern') return `${noun} '${field}' contains characters that are not allowed`;
  if (item.keyword === 'anyOf' || item.keyword === 'const' || item.keyword === 'enum') {
    return `${noun} '${field}' has a value that is not allowed`;
  }
  return `${noun} '${field}' is invalid: ${item.message ?? 'wrong type'}`;
}

const FRAMEWORK_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'the request body must be smaller than 4 KB',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported Content-Type: send application/json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'the request body is empty',
  FST_ERR_CTP_INVALID_JSON_BODY: 'the request body is not valid JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'the Content-Length does not match the body',
};

/**
 * Fastify's `frameworkErrors`: failures found while routing, before any hook runs. A path that
 * does not decode is a 400; a path parameter over Fastify's 100 characters is a 414.
 */
export function answerFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') return void sendMalformed(reply, 414, 'a path segment is too long (at most 100 characters)');
  if (error.code === 'FST_ERR_BAD_URL') return void sendMalformed(reply, 400, 'the request path is not valid percent-encoded UTF-8');
  sendMalformed(reply, 400, 'the request is malformed');
}

/** Installs the error and not-found handlers; call before any route is added (405s need the routes). */
export function installErrorHandler(app: FastifyInstance): void {
  trackRoutes(app);
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
    const path = request.url.split('?')[0]!;
    const allowed = allowedMethods(app, path);
    if (allowed.length > 0) {
      return sendMalformed(reply, 405, `method ${request.method} is not allowed on this path (allowed: ${allowed.join(', ')})`, { allow: allowed.join(', ') });
    }
    return reply.code(404).send({ code: ApiError.NOT_FOUND.code, message: `no endpoint ${request.method} ${path}` });
  });
}
