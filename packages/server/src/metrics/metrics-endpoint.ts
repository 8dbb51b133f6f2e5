/**
 * @module metrics-endpoint
 * Where `/metrics` is served and who may read it, decided once from the configuration
 * (docs/operations.md, "Protecting /metrics"):
 *
 * - `HANDSET_METRICS_ADDRESS` set: a second listener on that address serves `/metrics` alone;
 *   the public port does not serve it at all.
 * - `HANDSET_METRICS_TOKEN` set: `/metrics` needs `Authorization: Bearer <token>` (on the second
 *   listener too, when both are set).
 * - Neither, in production: `/metrics` is off (404), and start-up says so.
 * - Neither, in development: open on the public port, with a start-up warning.
 *
 * Also here, since it belongs to the same instance: the request-latency hook (labelled by route
 * pattern, never the raw URL) and the subscription to the database's statement timings.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ApiError } from '@handset/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { Deps } from '../deps.js';
import { writeMalformed } from '../http/error-answers.js';
import { UNMATCHED_ROUTE, type Metrics } from './metrics.js';

export const METRICS_PATH = '/metrics';

/** Where `/metrics` is served, from the configuration. */
export type MetricsExposure =
  | { where: 'off' }
  | { where: 'public'; token: string | null }
  | { where: 'internal'; host: string; port: number; token: string | null };

export function metricsExposure(config: Pick<Config, 'metricsToken' | 'metricsAddress' | 'production'>): MetricsExposure {
  const token = config.metricsToken;
  if (config.metricsAddress) return { where: 'internal', ...config.metricsAddress, token };
  if (token) return { where: 'public', token };
  return config.production ? { where: 'off' } : { where: 'public', token: null };
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Compares the Authorization header with the token in constant time (hashes have equal lengths). */
function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!), expected);
}

const UNAUTHORIZED = {
  code: ApiError.UNAUTHORIZED.code,
  message: 'a metrics token is required: Authorization: Bearer <HANDSET_METRICS_TOKEN>',
};
const CHALLENGE = 'Bearer realm="metrics"';

async function scrape(metrics: Metrics): Promise<{ type: string; body: string }> {
  return { type: metrics.registry.contentType, body: await metrics.registry.metrics() };
}

/** `/metrics` on the app's own port. */
function publicRoute(app: FastifyInstance, metrics: Metrics, token: string | null): void {
  const expected = token === null ? null : digest(token);
  app.get(METRICS_PATH, { schema: { hide: true } }, async (request: FastifyRequest, reply: FastifyReply) => {
    if (expected && !bearerMatches(request.headers.authorization, expected)) {
      return reply.code(ApiError.UNAUTHORIZED.status).header('www-authenticate', CHALLENGE).send(UNAUTHORIZED);
    }
    const { type, body } = await scrape(metrics);
    return reply.type(type).header('cache-control', 'no-store').send(body);
  });
}

function sendJson(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * The internal listener: plain `node:http`, since it serves one path. Its answers keep the
 * platform's rules: `{code, message}` for every error, a repeated Authorization header refused.
 */
export function internalMetricsServer(metrics: Metrics, token: string | null): Server {
  const expected = token === null ? null : digest(token);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== METRICS_PATH) {
      return sendJson(res, ApiError.NOT_FOUND.status, { code: ApiError.NOT_FOUND.code, message: `no endpoint ${req.method} ${path}: this listener serves ${METRICS_PATH} only` });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendJson(res, 405, { code: ApiError.MALFORMED_REQUEST.code, message: `method ${req.method} is not allowed on ${METRICS_PATH}` }, { allow: 'GET, HEAD' });
    }
    if ((req.headersDistinct.authorization?.length ?? 0) > 1) {
      return sendJson(res, 400, { code: ApiError.MALFORMED_REQUEST.code, message: "header 'authorization' is given more than once" });
    }
    if (expected && !bearerMatches(req.headers.authorization, expected)) {
      return sendJson(res, ApiError.UNAUTHORIZED.status, UNAUTHORIZED, { 'www-authenticate': CHALLENGE });
    }
    scrape(metrics).then(
      ({ type, body }) => {
        res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => sendJson(res, ApiError.INTERNAL.status, { code: ApiError.INTERNAL.code, message: 'the metrics could not be collected' }),
    );
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    writeMalformed(socket, 400, 'the request is not valid HTTP/1.1');
  });
  return server;
}

async function listen(server: Server, host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Installs the request-latency hook, the statement timings and `/metrics` where the configuration
 * puts it, and says at start-up where that is.
 */
export function installMetrics(app: FastifyInstance, deps: Deps): void {
  const { metrics, log } = deps;
  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern (`/v1/il/:token`), never the URL: bounded labels, no tokens in them.
    metrics.requestAnswered(request.method, request.routeOptions.url ?? UNMATCHED_ROUTE, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  const stopTimings = deps.db.timings.listen((t) => metrics.queryRan(t.kind, t.seconds, t.failed));
  if (deps.db.poolStats) metrics.readPool(deps.db.poolStats);
  app.addHook('onClose', (_instance, done) => {
    stopTimings();
    done();
  });

  const exposure = metricsExposure(deps.config);
  if (exposure.where === 'off') {
    log.warn('METRICS OFF: /metrics is not served in production without HANDSET_METRICS_TOKEN or HANDSET_METRICS_ADDRESS (docs/operations.md).');
    return;
  }
  if (exposure.where === 'public') {
    publicRoute(app, metrics, exposure.token);
    if (exposure.token) log.info('metrics: /metrics on the public port, bearer token required');
    else log.warn('INSECURE DEFAULT: /metrics is open on the public port (development mode); set HANDSET_METRICS_TOKEN or HANDSET_METRICS_ADDRESS.');
    return;
  }
  const server = internalMetricsServer(metrics, exposure.token);
  // Bound when the app is ready (listen() or inject()), so a taken port fails the start.
  app.addHook('onReady', async () => {
    await listen(server, exposure.host, exposure.port);
    log.info({ address: `http://${exposure.host.includes(':') ? `[${exposure.host}]` : exposure.host}:${exposure.port}${METRICS_PATH}`, tokenRequired: exposure.token !== null }, 'metrics: internal listener');
  });
  app.addHook('onClose', async () => {
    if (!server.listening) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
}
