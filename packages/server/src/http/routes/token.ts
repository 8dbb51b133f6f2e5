/**
 * @module token
 * `POST /token`: OAuth 2.0 client credentials (server-api.md §2), always at the host root.
 * Bounded per address (every request, before the body is read), per client id (once the
 * credentials check), and failed credentials per address on their own, stricter budget: an
 * address that has spent it gets 429 even for right credentials until its window ends. Failures
 * are not counted per client id: client ids are not secret (they appear in the Prove Key
 * namespace), so that would let anyone lock an integrator out, and 256-bit secrets leave nothing
 * to guess.
 */
import { ErrorBodySchema, TokenRequestSchema, TokenResponseSchema } from '@handset/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../deps.js';
import { checkClientSecret } from '../../flows/clients.js';
import { sha256Hex } from '../../lib/hash.js';
import { apiError } from '../api-error.js';
import { callerAddress } from '../caller-limits.js';

export const tokenRoutes = (deps: Deps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/token',
      {
        onRequest: async (request) => {
          const address = callerAddress(request);
          await deps.limits.check('tokenFailuresPerIp', address);
          await deps.limits.take('tokenPerIp', address);
        },
        schema: {
          summary: 'Get an access token (OAuth 2.0 client credentials)',
          consumes: ['application/x-www-form-urlencoded'],
          body: TokenRequestSchema,
          response: { 200: TokenResponseSchema, 400: ErrorBodySchema, 401: ErrorBodySchema, 429: ErrorBodySchema },
        },
      },
      async (request) => {
        const { grant_type: grantType, client_id: clientId, client_secret: clientSecret } = request.body;
        if (grantType !== 'client_credentials') {
          throw apiError('MALFORMED_REQUEST', "field 'grant_type' must be client_credentials");
        }
        if (!(await checkClientSecret(deps.db.kysely, clientId, clientSecret))) {
          await deps.limits.record('tokenFailuresPerIp', callerAddress(request));
          throw apiError('UNAUTHORIZED', 'invalid client credentials');
        }
        await deps.limits.take('tokenPerClient', clientId);
        const issued = await deps.accessTokens.issue(clientId, sha256Hex(clientSecret));
        return { access_token: issued.accessToken, token_type: 'Bearer' as const, expires_in: issued.expiresIn };
      },
    );
  };
