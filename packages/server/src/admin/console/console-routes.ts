/**
 * @module admin/console/console-routes
 * The operator console at `/admin`: server-rendered pages (no single-page build), registered in a
 * scope of their own so the cookie parser, the security headers and the session guard reach no
 * other route. Two layers: the sign-in page, sign-in and the assets are open; everything else sits
 * behind the session guard and, for POSTs, the CSRF check (console-auth.ts).
 */
import cookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { assetRoutes } from './assets.js';
import { requireCsrfToken, requireSession } from './console-auth.js';
import { setConsoleHeaders } from './security-headers.js';
import { signInRoutes, signOutRoute } from './sign-in.js';
import { consolePages } from './pages/index.js';

/** Paths of the console that answer without a session (everything else needs one). */
export const OPEN_CONSOLE_ROUTES = ['/admin/sign-in', '/admin/assets/:name'] as const;

/** The console as a Fastify plugin: `await app.register(adminConsoleRoutes(deps))`. */
export function adminConsoleRoutes(deps: Deps) {
  return async (scope: FastifyInstance): Promise<void> => {
    await scope.register(cookie);
    // Every console answer, errors included, carries the CSP and friends.
    scope.addHook('onRequest', async (_request, reply) => setConsoleHeaders(reply));
    assetRoutes(scope);
    signInRoutes(scope, deps);
    await scope.register(async (signedIn) => {
      signedIn.addHook('onRequest', requireSession(deps));
      signedIn.addHook('preHandler', requireCsrfToken(deps));
      signOutRoute(signedIn, deps);
      consolePages(signedIn, deps);
    });
  };
}
