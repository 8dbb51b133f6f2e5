/**
 * @module auth-token-hook
 * Authenticates a client-protocol call by its authToken (Bearer header, or the `token` query
 * parameter on the status socket) and ties it to exactly one live session.
 */
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import { NOT_A_LIVE_SESSION } from '../flows/session-tx.js';
import { findSessionTokenId } from '../store/sessions-repo.js';
import { apiError } from './api-error.js';

const PROBLEM_TEXT = {
  malformed: 'the authToken is malformed',
  bad_signature: 'the authToken signature is not valid',
  expired: 'the authToken has expired',
} as const;

/**
 * Where a verified token is checked against its session (that the session is still there and
 * the token is the one minted for it):
 * - `hook`: here, by reading the session, for routes that do not run a session step;
 * - `step`: by the session step the route runs, against the row it locks anyway
 *   (`bySessionToken` in flows/session-tx.ts): one read fewer per call. Either way a token whose
 *   session is gone gets the same 401; with `step` it comes after the body is validated.
 */
export type SessionCheck = 'hook' | 'step';

/**
 * Verifies the token (signature, expiry) and sets `request.sessionToken`,
 * then checks its session where `sessionCheck` says; throws 401 otherwise.
 */
export async function authenticateAuthToken(
  deps: Deps,
  request: FastifyRequest,
  tokenFromQuery?: string,
  sessionCheck: SessionCheck = 'hook',
): Promise<void> {
  let token = tokenFromQuery;
  if (token === undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (!match) throw apiError('UNAUTHORIZED', 'missing bearer authToken');
    token = match[1]!;
  }
  // A repeated query parameter is refused before this (request-shape.ts); never trust the type anyway.
  if (typeof token !== 'string') throw apiError('UNAUTHORIZED', PROBLEM_TEXT.malformed);
  const verified = deps.authTokens.verify(token, deps.clock.now());
  if (!verified.ok) throw apiError('UNAUTHORIZED', PROBLEM_TEXT[verified.problem]);
  const { auth, jti } = verified.claims;
  if (sessionCheck === 'hook') {
    const tokenId = await findSessionTokenId(deps.db.kysely, auth.id);
    // The token must be the one minted for this session (jti), so it is useless anywhere else.
    if (tokenId === undefined || tokenId !== jti) throw apiError('UNAUTHORIZED', NOT_A_LIVE_SESSION);
  }
  request.sessionToken = { authId: auth.id, tokenId: jti };
}
