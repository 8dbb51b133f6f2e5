/**
 * @module token
 * `POST /token`: OAuth 2.0 client credentials (server-api.md §2), always at the host root.
 */
import { ErrorBodySchema, TokenRequestSchema, TokenResponseSchema } from '@handset/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../deps.js';
import { checkClientSecret } from '../../flows/clients.js';
import { apiError } from '../api-error.js';

export const tokenRoutes = (deps: Deps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/token',
      {
        schema: {
          summary: 'Get an access token (OAuth 2.0 client credentials)',
          consumes: ['application/x-www-form-urlencoded'],
          body: TokenRequestSchema,
          response: { 200: TokenResponseSchema, 400: ErrorBodySchema, 401: ErrorBodySchema },
        },
      },
      async (request) => {
        const { grant_type: grantType, client_id: clientId, client_secret: clientSecret } = request.body;
        if (grantType !== 'client_credentials') {
          throw apiError('MALFORMED_REQUEST', "field 'grant_type' must be client_credentials");
        }
        if (!(await checkClientSecret(deps.db.kysely, clientId, clientSecret))) {
          throw apiError('UNAUTHORIZED', 'invalid client credentials');
        }
        const issued = await deps.accessTokens.issue(clientId);
        return { access_token: issued.accessToken, token_type: 'Bearer' as const, expires_in: issued.expiresIn };
      },
    );
  };
