/**
 * @module request-context
 * What the authentication hooks attach to a request.
 */
import 'fastify';
import type { SessionToken } from '../flows/session-tx.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The integrator client of a `/v3/*` call, set by the bearer-token hook. */
    clientId: string;
    /**
     * The auth session (`authId`) and token id of a `/v1/client/*` call, set by the authToken
     * hook: what a session step checks the locked row against (see `SessionCheck` in
     * auth-token-hook.ts).
     */
    sessionToken: SessionToken;
    /** The exact request body text (needed to check request signatures). */
    rawBody: string;
  }
}
