/**
 * @module auth-token-hook
 * Authenticates a client-protocol call by its authToken (Bearer header, or the `token` query
 * parameter on the status socket) and ties it to exactly one live session.
 */
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import { findSessionTokenId } from '../store/sessions-repo.js';
import { apiError } from './api-error.js';

const PROBLEM_TEXT = {
  malformed: 'the authToken is malformed',
  bad_signature: 'the authToken signature is not valid',
  expired: 'the authToken has expired',
} as const;

/** Verifies the token and sets `request.authId`; throws 401 otherwise. */
export async function authenticateAuthToken(deps: Deps, request: FastifyRequest, tokenFromQuery?: string): Promise<void> {
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
  const tokenId = await findSessionTokenId(deps.db.kysely, verified.claims.auth.id);
  // The token must be the one minted for this session (jti), so it is useless anywhere else.
  if (tokenId === undefined || tokenId !== verified.claims.jti) {
    throw apiError('UNAUTHORIZED', 'the authToken does not belong to a live session');
  }
  request.authId = verified.claims.auth.id;
}
