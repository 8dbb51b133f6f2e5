/**
 * @module admin/console/sign-in
 * `GET /admin/sign-in` (the form), `POST /admin/sign-in` (an admin id and secret from
 * `handset admins create` → a console session in an HttpOnly cookie) and `POST /admin/sign-out`
 * (ends the session server-side). Failed sign-ins are counted per address (sign-in-limit.ts).
 * A refused browser is sent back to the form, which says why; any other caller gets the documented
 * status (400, 401, 403, 429) with `{code, message}`.
 */
import { ApiError, type ApiErrorName } from '@handset/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import { limiterStore } from '../../http/limiter-store.js';
import { escapeHtml } from '../../http/routes/html.js';
import { endAdminSession, startAdminSession } from '../admin-sessions.js';
import { verifyAdminSecret } from '../admins-repo.js';
import { recordAudit } from '../audit-log.js';
import { ADMIN_COOKIE, SIGN_IN_PATH, clearSessionCookie, cookieOptions, safeNext, sameOrigin, sessionOf } from './console-auth.js';
import { consolePage, notice, problem } from './layout.js';
import { SignInLimit } from './sign-in-limit.js';

const FIELD_MAX = 200;

function signInPage(options: { next: string; message?: string; error?: string }): string {
  const body =
    (options.message ? notice(options.message) : '') +
    (options.error ? problem(options.error) : '') +
    '<div class="sign-in-box">' +
    `<form class="stacked" method="post" action="${SIGN_IN_PATH}">` +
    `<input type="hidden" name="next" value="${escapeHtml(options.next)}">` +
    `<label for="adminId">Admin id<input id="adminId" name="adminId" autocomplete="username" required maxlength="${FIELD_MAX}"></label>` +
    `<label for="secret">Secret<input id="secret" name="secret" type="password" autocomplete="current-password" required maxlength="${FIELD_MAX}"></label>` +
    '<button type="submit">Sign in</button></form>' +
    '<p class="muted">An admin id and secret come from <code>handset admins create --name NAME</code> on the platform host.</p></div>';
  return consolePage({ title: 'Sign in', body });
}

/** Why a sign-in was refused, as the sign-in page says it after the redirect. */
const REFUSALS = {
  wrong: 'That admin id and secret do not open the console: wrong, unknown or disabled.',
  missing: `Type both the admin id and the secret (at most ${FIELD_MAX} characters each).`,
  limited: 'Too many failed sign-ins from this address. Wait a few minutes and try again.',
  origin: 'The sign-in form was posted from another site and was refused.',
} as const;

type Refusal = keyof typeof REFUSALS;

/**
 * Answers a refused sign-in. A browser is sent back to the form (303), which then says why (so a
 * reload never posts the secret again, and no error answer is HTML); any other caller gets the
 * documented status with `{code, message}`.
 */
function refuse(request: FastifyRequest, reply: FastifyReply, name: ApiErrorName, refusal: Refusal, message: string, next: string): FastifyReply {
  if ((request.headers.accept ?? '').includes('text/html')) {
    return reply.redirect(`${SIGN_IN_PATH}?error=${refusal}&next=${encodeURIComponent(next)}`, 303);
  }
  const { code, status } = ApiError[name];
  return reply.code(status).send({ code, message });
}

function field(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value.length > 0 && value.length <= FIELD_MAX ? value : undefined;
}

/** Sign-in and the sign-in page: outside the session guard. */
export function signInRoutes(scope: FastifyInstance, deps: Deps): void {
  const limit = new SignInLimit(limiterStore(deps.db));

  scope.get<{ Querystring: Record<string, string | undefined> }>(SIGN_IN_PATH, { schema: { hide: true } }, async (request, reply) => {
    const message =
      request.query['expired'] === '1'
        ? 'Your console session has ended (idle for too long, or past its lifetime). Sign in again.'
        : request.query['signed-out'] === '1'
          ? 'You have signed out.'
          : undefined;
    const refusal = request.query.error;
    const error = refusal !== undefined && Object.hasOwn(REFUSALS, refusal) ? REFUSALS[refusal as Refusal] : undefined;
    return reply.type('text/html; charset=utf-8').send(signInPage({ next: safeNext(request.query.next), message, error }));
  });

  scope.post(SIGN_IN_PATH, { schema: { hide: true } }, async (request, reply) => {
    const body = request.body && typeof request.body === 'object' ? (request.body as Record<string, unknown>) : {};
    const next = safeNext(body.next);
    const adminId = field(body, 'adminId');
    const secret = field(body, 'secret');
    if (!sameOrigin(request, deps)) return refuse(request, reply, 'STEP_NOT_ALLOWED', 'origin', 'cross-origin sign-in is refused', next);
    const wait = await limit.retryAfterSeconds(request.ip);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      return refuse(request, reply, 'RATE_LIMITED', 'limited', `too many failed sign-ins from this address; retry in ${wait} seconds`, next);
    }
    if (!adminId || !secret) {
      return refuse(request, reply, 'MALFORMED_REQUEST', 'missing', `the admin id and the secret are both required (at most ${FIELD_MAX} characters each)`, next);
    }
    const now = deps.clock.now();
    const admin = await verifyAdminSecret(deps.db.kysely, adminId, secret);
    if (!admin) {
      await limit.recordFailure(request.ip);
      await recordAudit(deps.db.kysely, { adminId: null, action: 'console.sign-in-refused', target: adminId, address: request.ip, at: now });
      return refuse(request, reply, 'UNAUTHORIZED', 'wrong', 'that admin id and secret do not open the console (wrong, unknown or disabled)', next);
    }
    const started = await deps.db.kysely.transaction().execute(async (trx) => {
      const session = await startAdminSession(trx, admin.adminId, now, deps.random);
      await recordAudit(trx, { adminId: admin.adminId, action: 'console.sign-in', address: request.ip, at: now });
      return session;
    });
    reply.setCookie(ADMIN_COOKIE, started.sessionId, cookieOptions(request, deps, started.expiresAt));
    return reply.redirect(next, 303);
  });
}

/** Sign-out: inside the session guard (a session and its CSRF token are needed to end it). */
export function signOutRoute(scope: FastifyInstance, deps: Deps): void {
  scope.post('/admin/sign-out', { schema: { hide: true } }, async (request, reply) => {
    const session = sessionOf(request);
    await deps.db.kysely.transaction().execute(async (trx) => {
      await endAdminSession(trx, session.sessionId);
      await recordAudit(trx, { adminId: session.admin.adminId, action: 'console.sign-out', address: request.ip, at: deps.clock.now() });
    });
    clearSessionCookie(request, reply, deps);
    return reply.redirect(`${SIGN_IN_PATH}?signed-out=1`, 303);
  });
}
