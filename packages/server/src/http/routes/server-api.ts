/**
 * @module server-api
 * The integrator back end's API: `/v3/unify`, `/v3/unify-status`, `/v3/unify-bind`,
 * `/v3/device/revoke`. Every call needs a Bearer access token; every answer is HTTP 200 JSON or
 * a `{code, message}` error.
 */
import {
  DeviceRevokeRequestSchema,
  DeviceRevokeResponseSchema,
  ErrorBodySchema,
  UnifyBindRequestSchema,
  UnifyRequestSchema,
  UnifyResponseSchema,
  UnifyResultSchema,
  UnifyStatusRequestSchema,
} from '@handset/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../deps.js';
import { revokeDeviceKey, startUnify, unifyBind, unifyStatus } from '../../flows/unify-service.js';
import { apiError } from '../api-error.js';

const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 403: ErrorBodySchema, 429: ErrorBodySchema, 500: ErrorBodySchema };

export const serverApiRoutes = (deps: Deps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.addHook('onRequest', async (request) => {
      const header = request.headers.authorization;
      const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
      if (!match) throw apiError('UNAUTHORIZED', 'missing bearer access token');
      const clientId = await deps.accessTokens.clientOf(match[1]!);
      if (!clientId) throw apiError('UNAUTHORIZED', 'the access token is invalid or has expired');
      const retryAfter = await deps.rateLimiter.take(clientId);
      if (retryAfter !== null) throw apiError('RATE_LIMITED', 'too many requests', { 'retry-after': String(retryAfter) });
      request.clientId = clientId;
    });

    const secured = { security: [{ bearerAuth: [] }] };
    app.post(
      '/v3/unify',
      { schema: { ...secured, summary: 'Start a possession session', body: UnifyRequestSchema, response: { 200: UnifyResponseSchema, ...errors } } },
      async (request) => startUnify(deps, request.clientId, request.body),
    );
    app.post(
      '/v3/unify-status',
      { schema: { ...secured, summary: 'Read the outcome of a session', body: UnifyStatusRequestSchema, response: { 200: UnifyResultSchema, ...errors } } },
      async (request) => unifyStatus(deps, request.clientId, request.body),
    );
    app.post(
      '/v3/unify-bind',
      { schema: { ...secured, summary: 'Bind the Prove Key after customer-supplied possession', body: UnifyBindRequestSchema, response: { 200: UnifyResultSchema, ...errors } } },
      async (request) => unifyBind(deps, request.clientId, request.body),
    );
    app.post(
      '/v3/device/revoke',
      {
        schema: {
          ...secured,
          summary: 'Revoke a Prove Key',
          body: DeviceRevokeRequestSchema,
          response: { 200: DeviceRevokeResponseSchema, 404: ErrorBodySchema, ...errors },
        },
      },
      async (request) => revokeDeviceKey(deps, request.clientId, request.body),
    );
  };
