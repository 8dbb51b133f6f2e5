/**
 * @module admin/console/console-auth
 * Who may use a console route. Every route in the protected scope needs a live admin session
 * (admin-sessions.ts: idle and absolute timeouts): without one, a GET is redirected to the sign-in
 * page and anything else is answered 401 `{code, message}`, before the body is even read.
 *
 * CSRF: every POST carries the session's CSRF token in a hidden `_csrf` field (the synchronizer
 * token pattern; the token is made with the session and kept server-side with it), compared in
 * constant time. Browsers also name the page a form was posted from in `Origin`; a POST whose
 * Origin is another site is refused before anything else. The cookie is `SameSite=Strict` besides.
 */
import { ApiError } from '@handset/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import { safeEqual } from '../../lib/hash.js';
import { findAdminSession, type LiveAdminSession } from '../admin-sessions.js';
import type { PageViewer } from './layout.js';

/** The session cookie: its value is the session id (the database keeps only its hash). */
export const ADMIN_COOKIE = 'handset_admin';
/** The path the cookie is sent on: the console's own. */
export const COOKIE_PATH = '/admin';
/** The sign-in page, where requests without a session are sent. */
export const SIGN_IN_PATH = '/admin/sign-in';

/** A request's live console session, once the guard has found it. */
export interface ConsoleSession extends LiveAdminSession {
  sessionId: string;
}

const sessions = new WeakMap<FastifyRequest, ConsoleSession>();

/** The session the guard found for this request (only inside the protected scope). */
export function sessionOf(request: FastifyRequest): ConsoleSession {
  const session = sessions.get(request);
  if (!session) throw new Error('console route reached without a session');
  return session;
}

/** What a page needs to know about who is signed in. */
export function viewerOf(request: FastifyRequest): PageViewer {
  const session = sessionOf(request);
  return { adminName: session.admin.name, csrfToken: session.csrfToken };
}

/** Is this request over https (directly, or through a trusted proxy), or the platform's public URL https? */
function secureRequest(request: FastifyRequest, deps: Deps): boolean {
  return request.protocol === 'https' || deps.config.publicUrl.startsWith('https:');
}

/** Options of the session cookie: HttpOnly, SameSite=Strict, Path=/admin, Secure over https. */
export function cookieOptions(request: FastifyRequest, deps: Deps, expiresAt?: number) {
  return {
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: secureRequest(request, deps),
    ...(expiresAt === undefined ? {} : { expires: new Date(expiresAt) }),
  };
}

/** Removes the session cookie from the browser. */
export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply, deps: Deps): void {
  reply.clearCookie(ADMIN_COOKIE, cookieOptions(request, deps));
}

/** Only same-console paths may be a `next` after sign-in (no open redirect). */
export function safeNext(value: unknown): string {
  if (typeof value !== 'string' || value.length > 300) return '/admin';
  // No dot segments, no protocol-relative `//`, no backslashes: the path stays in the console.
  if (/\.\.|\/\/|\\/.test(value)) return '/admin';
  if (!/^\/admin(?:[/?][A-Za-z0-9\-._~/?=&%+*,]*)?$/.test(value) || value.startsWith(SIGN_IN_PATH)) return '/admin';
  return value;
}

function unauthorized(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(ApiError.UNAUTHORIZED.status).send({ code: ApiError.UNAUTHORIZED.code, message });
}

function forbidden(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(ApiError.STEP_NOT_ALLOWED.status).send({ code: ApiError.STEP_NOT_ALLOWED.code, message });
}

/**
 * False when the browser says the request comes from another origin. A missing `Origin` is let
 * through (non-browser clients, some older browsers): the CSRF token still has to match.
 */
export function sameOrigin(request: FastifyRequest, deps: Deps): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  return origin === deps.config.publicUrl || origin === `${request.protocol}://${request.host}`;
}

/** onRequest hook of the protected scope: finds the session or answers (redirect or 401). */
export function requireSession(deps: Deps) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const sessionId = request.cookies[ADMIN_COOKIE];
    const live = sessionId ? await findAdminSession(deps.db.kysely, sessionId, deps.clock.now()) : null;
    if (live && sessionId) {
      sessions.set(request, { ...live, sessionId });
      return undefined;
    }
    // An expired or ended session's cookie is of no more use: drop it.
    if (sessionId) clearSessionCookie(request, reply, deps);
    if (request.method === 'GET' || request.method === 'HEAD') {
      const next = encodeURIComponent(safeNext(request.url));
      const reason = sessionId ? '&expired=1' : '';
      return reply.redirect(`${SIGN_IN_PATH}?next=${next}${reason}`, 303);
    }
    return unauthorized(reply, 'sign in to the console first: no live console session');
  };
}

/** preHandler hook of the protected scope: every POST must carry the session's CSRF token. */
export function requireCsrfToken(deps: Deps) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (request.method === 'GET' || request.method === 'HEAD') return undefined;
    if (!sameOrigin(request, deps)) return forbidden(reply, 'cross-origin form posts are refused');
    const body = request.body as Record<string, unknown> | undefined;
    const token = body && typeof body === 'object' ? body._csrf : undefined;
    if (typeof token !== 'string' || !safeEqual(token, sessionOf(request).csrfToken)) {
      return forbidden(reply, 'the form has no valid CSRF token: reload the page and try again');
    }
    return undefined;
  };
}
