/**
 * @module caller-limits
 * Who pays for a call. A client-protocol call with a valid authToken spends from its session's
 * budget only: many real users share one carrier-grade NAT address, and a session exists only
 * because an integrator started it. Anything else (no authToken, or one that does not verify)
 * spends from its address's budget and, on the client protocol, from the global one.
 */
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import { HttpError } from './api-error.js';
import { authenticateAuthToken, type SessionCheck } from './auth-token-hook.js';
import { addressKey } from './client-address.js';

/** The key of the caller's address (see `HANDSET_TRUST_PROXY` for calls through a proxy). */
export function callerAddress(request: FastifyRequest): string {
  return addressKey(request.ip);
}

/** Instant Link and carrier pages: per address. */
export async function limitByAddress(deps: Deps, request: FastifyRequest): Promise<void> {
  await deps.limits.take('publicPerIp', callerAddress(request));
}

/** A client-protocol call without a valid authToken: per address, then all addresses together. */
export async function limitAnonymousClientCall(deps: Deps, request: FastifyRequest): Promise<void> {
  await deps.limits.take('publicPerIp', callerAddress(request));
  await deps.limits.take('publicGlobal', 'all');
}

/**
 * Authenticates the authToken (setting `request.sessionToken`) and spends from its session's budget.
 * A refused token is counted as an anonymous call before its 401. `tokenFromQuery`: the status
 * socket's `token` parameter, and `sessionCheck` (as for {@link authenticateAuthToken}).
 */
export async function authenticateAndLimit(
  deps: Deps,
  request: FastifyRequest,
  tokenFromQuery?: string,
  sessionCheck: SessionCheck = 'hook',
): Promise<void> {
  try {
    await authenticateAuthToken(deps, request, tokenFromQuery, sessionCheck);
  } catch (error) {
    if (error instanceof HttpError && error.status === 401) await limitAnonymousClientCall(deps, request);
    throw error;
  }
  await deps.limits.take('session', request.sessionToken.authId);
}

/** Calls where the authToken is optional (`challenge`): whoever pays, by what was presented. */
export async function limitOptionallyAuthenticated(deps: Deps, request: FastifyRequest): Promise<void> {
  if (request.headers.authorization) await authenticateAndLimit(deps, request);
  else await limitAnonymousClientCall(deps, request);
}
