/**
 * @module status-socket
 * The status WebSocket `/v1/client/status?token=…` (client-protocol.md §5): a waiting desktop
 * gets exactly one JSON status message when its session settles. Text `ping` is answered with
 * `pong`. The session is re-read from the database on connect, on every change event and when
 * its deadline passes, so a lost event or another instance's change is never missed for long.
 */
import { ClientErrorCode, FailureReason, SOCKET_PING, SOCKET_PONG, Step, type StatusMessage } from '@handset/protocol';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { Deps } from '../../deps.js';
import { effectiveState } from '../../flows/session-state.js';
import { writeDueExpiry } from '../../flows/session-tx.js';
import { findSessionBy, type SessionRow } from '../../store/sessions-repo.js';
import { authenticateAndLimit } from '../caller-limits.js';
import { answerRefusedHandshakes, refuseBadHandshake } from '../websocket-handshake.js';

/** The authToken rides in the query (browsers cannot set headers on a WebSocket); a missing or malformed one is a 401. */
const StatusQuerySchema = Type.Object({ token: Type.Optional(Type.String({ maxLength: 4096 })) });

/** Re-check at least this often even without events (a safety net for missed notifications). */
const RECHECK_MS = 15_000;

function messageFor(session: SessionRow, state: SessionRow['state']): StatusMessage | null {
  if (state === 'succeeded' || state === 'possession_required') return { next: Step.DONE };
  if (state === 'failed') {
    // An unopened link ran out (9100, or an expiry not written down yet); not a refused text (9801) or a policy's fail.
    const expiry = (session.failure_reason ?? FailureReason.POSSESSION_INCOMPLETE) === FailureReason.POSSESSION_INCOMPLETE;
    const linkExpired = expiry && (session.state === 'link_sent' || session.link_sent_at !== null);
    return {
      next: Step.DONE,
      error: {
        code: ClientErrorCode.AUTHENTICATION_EXTERNAL_FAILURE,
        message: linkExpired ? 'The Instant Link expired before it was opened.' : 'The authentication session has ended.',
      },
    };
  }
  return null;
}

export function statusSocketRoute(app: FastifyInstance, deps: Deps): void {
  answerRefusedHandshakes(app.websocketServer);
  app.get<{ Querystring: { token?: string } }>(
    '/v1/client/status',
    {
      websocket: true,
      schema: { querystring: StatusQuerySchema },
      // Handshake, then query (schema), then the authToken: the socket library never answers.
      onRequest: refuseBadHandshake,
      preHandler: async (request) => {
        // Spends from the session's budget (or, refused, the address's): a JSON 429 before the upgrade.
        await authenticateAndLimit(deps, request, request.query.token ?? '');
      },
    },
    (socket, request) => {
      const linkTtlMs = deps.config.instantLinkTtlSeconds * 1000;
      let done = false;
      let cancelDeadline: (() => void) | undefined;
      let recheck: NodeJS.Timeout | undefined;
      let unsubscribe: (() => void) | undefined;

      const cleanup = (): void => {
        done = true;
        cancelDeadline?.();
        clearTimeout(recheck);
        unsubscribe?.();
      };

      const rerun = (): void => void check().catch(onError);

      // `done` is checked after every await: the socket may close while a read is in flight, and
      // nothing may be subscribed or scheduled after cleanup.
      const check = async (): Promise<void> => {
        if (done) return;
        let session = await findSessionBy(deps.db.kysely, 'auth_id', request.sessionToken.authId);
        if (done) return;
        if (!session) return void socket.close(1008, 'session not found');
        // The bus is keyed by correlation id, which only this first read gives, so the socket
        // listens only after it: a change committed after the read and announced before the
        // subscription reached no one. The first subscription is therefore followed by one more
        // read (below); every later change is heard.
        const firstSubscription = unsubscribe === undefined;
        unsubscribe ??= deps.bus.subscribe(session.correlation_id, rerun);
        const now = deps.clock.now();
        const state = effectiveState(session, now, linkTtlMs);
        if (state !== session.state) {
          // Write the expiry down so unify-status agrees with what the desktop is told.
          await writeDueExpiry(deps, { column: 'auth_id', value: session.auth_id });
          session = (await findSessionBy(deps.db.kysely, 'auth_id', request.sessionToken.authId)) ?? session;
          if (done) return;
        }
        const message = messageFor(session, state);
        if (message) {
          socket.send(JSON.stringify(message));
          cleanup();
          return;
        }
        // The deadline is a timer on the injected clock, so a test's ManualClock drives the expiry
        // push. The safety re-check is for missed notifications, which happen in real time.
        const linkDeadline = session.state === 'link_sent' && session.link_sent_at !== null ? session.link_sent_at + linkTtlMs : Infinity;
        cancelDeadline?.();
        cancelDeadline = deps.clock.setTimer(Math.min(session.expires_at, linkDeadline) - now, rerun);
        clearTimeout(recheck);
        recheck = setTimeout(rerun, RECHECK_MS);
        if (firstSubscription) rerun();
      };

      const onError = (error: unknown): void => {
        request.log.warn({ err: error }, 'status socket check failed');
        clearTimeout(recheck);
        if (!done) recheck = setTimeout(rerun, 1000);
      };

      socket.on('message', (data, isBinary) => {
        if (!isBinary && data.toString() === SOCKET_PING) socket.send(SOCKET_PONG);
      });
      socket.on('close', cleanup);
      socket.on('error', cleanup);
      rerun();
    },
  );
}
