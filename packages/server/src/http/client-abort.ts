/**
 * @module client-abort
 * A client that closes its connection before its request body is complete. Node fails the
 * body stream with `Error: aborted` (code ECONNRESET), which looks like a lost database
 * connection; it is neither a server fault nor worth more than an info line.
 */
import type { FastifyRequest } from 'fastify';

/** Set on such an error once it is classified, so no later handler mistakes it for a fault. */
export const CLIENT_ABORTED = 'HANDSET_CLIENT_ABORTED';

/** True when `error` is the body stream failing because the client went away mid-request. */
export function isClientAbort(request: FastifyRequest, error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  // readableAborted: the body stream was destroyed before its end, which a database error
  // (raised after the body was read) never is.
  return (code === 'ECONNRESET' || code === CLIENT_ABORTED) && request.raw.readableAborted;
}
