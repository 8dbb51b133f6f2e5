/**
 * @module app
 * `buildApp(deps)`: the whole HTTP and WebSocket surface as a Fastify instance, not yet
 * listening. Tests use `inject()` on it or make it listen on a real socket.
 */
import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { MAX_BODY_BYTES } from '@handset/protocol';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Deps } from '../deps.js';
import { adminConsoleRoutes } from '../admin/console/console-routes.js';
import { redactRequestUrl } from '../lib/redact.js';
import './request-context.js';
import { installBodyParsers } from './body-parsers.js';
import { CLIENT_ABORTED, isClientAbort } from './client-abort.js';
import { installCors } from './cors.js';
import { answerClientError } from './client-errors.js';
import { answerFrameworkError, installErrorHandler } from './error-handler.js';
import { installRequestChecks } from './request-checks.js';
import { installMetrics } from '../metrics/metrics-endpoint.js';
import { ADMIN_API_PREFIX, adminApiRoutes } from './routes/admin-api.js';
import { browserPageRoutes } from './routes/browser-pages.js';
import { operatorCallbackRoute } from './routes/operator-callback.js';
import { clientApiRoutes } from './routes/client-api.js';
import { devOutboxRoute } from './routes/dev-outbox.js';
import { smsCallbackRoutes } from './routes/sms-callbacks.js';
import { landingRoute } from './routes/landing.js';
import { operationsRoutes } from './routes/operations.js';
import { serverApiRoutes } from './routes/server-api.js';
import { statusSocketRoute } from './routes/status-socket.js';
import { tokenRoutes } from './routes/token.js';

/**
 * Request URLs as logged: without the query (the status socket carries the authToken there) and
 * with every path segment that is not a word, a version or a UUID redacted, on any route
 * (Instant Link and carrier tokens, an authToken put in a path by mistake).
 */
export function loggableUrl(url: string): string {
  return redactRequestUrl(url);
}

/**
 * On shutdown, close every WebSocket with 1001 "going away" and take no new upgrades. The session
 * lives on in the database: a socket reopened on another instance gets its outcome.
 */
function closeSocketsGoingAway(this: FastifyInstance, done: () => void): void {
  for (const client of this.websocketServer.clients) client.close(1001, 'server shutting down');
  this.server.removeAllListeners('upgrade');
  this.websocketServer.close();
  done();
}

export async function buildApp(deps: Deps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    // One line per request is written by the onResponse hook below, without query strings.
    logController: new LogController({ disableRequestLogging: true }),
    // "Bodies must be valid JSON under 4 KB": 4096 bytes and more are refused.
    bodyLimit: MAX_BODY_BYTES - 1,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // Whose X-Forwarded-For names the caller's address (the per-address limits count by it).
    trustProxy: deps.config.trustProxy,
    // Every answer is {code, message}: malformed HTTP (Node's parser), routing failures, and a
    // missing Host header (checked in request-checks.ts: Node's own answer has no body).
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
    http: { requireHostHeader: false },
  }).withTypeProvider<TypeBoxTypeProvider>();

  installErrorHandler(app);
  installRequestChecks(app);
  installBodyParsers(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Handset API',
        version: '0.1.0',
        description: 'Prove Unify-compatible possession checks and device keys. Errors are {code, message}.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer' },
          adminBearer: { type: 'http', scheme: 'bearer', description: 'An admin token from POST /admin/v1/token (docs/admin.md).' },
        },
      },
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    if (!deps.log.isLevelEnabled('info')) return;
    request.log.info(
      { method: request.method, url: loggableUrl(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });
  installMetrics(app, deps);
  // Runs before the error handler: a client gone mid-body is logged as such (no response line
  // follows: the socket is closed) and re-coded so it is not taken for a lost database.
  app.addHook('onError', async (request, reply, error) => {
    if (!isClientAbort(request, error)) return;
    (error as { code?: string }).code = CLIENT_ABORTED;
    request.log.info({ method: request.method, url: loggableUrl(request.url), ms: Math.round(reply.elapsedTime) }, 'request aborted by the client');
  });

  await app.register(tokenRoutes(deps));
  await app.register(serverApiRoutes(deps));
  // Browser-facing routes in their own scope, so CORS applies to them alone.
  await app.register(async (browser) => {
    installCors(browser);
    await browser.register(clientApiRoutes(deps));
    browserPageRoutes(browser, deps);
    operatorCallbackRoute(browser, deps);
  });
  // The status socket in its own scope: the WebSocket plugin wraps the handlers of its scope,
  // and the server API's hot routes should not pay for that.
  await app.register(async (sockets) => {
    await sockets.register(websocket, { options: { maxPayload: MAX_BODY_BYTES }, preClose: closeSocketsGoingAway });
    statusSocketRoute(sockets, deps);
    deps.metrics.countOpenSockets(() => sockets.websocketServer.clients.size);
  });
  operationsRoutes(app, deps);
  // The admin API (JSON, admin bearer tokens), in its own scope.
  await app.register(adminApiRoutes(deps), { prefix: ADMIN_API_PREFIX });
  landingRoute(app, deps);
  // The operator console at /admin, in its own scope (cookies, CSP, session guard).
  await app.register(adminConsoleRoutes(deps));
  // Provider status callbacks: only for the SMS providers configured (the courier).
  smsCallbackRoutes(app, deps);
  if (!deps.config.production) devOutboxRoute(app, deps);
  return app;
}
