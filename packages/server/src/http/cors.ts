/**
 * @module cors
 * CORS for the browser-facing paths (the SDK calls the platform from the integrator's origin).
 * No credentials are used, so `*` is safe. The server API (`/v3/*`, `/token`) gets no CORS:
 * it is for back ends only.
 */
import { CORS_ALLOWED_HEADERS } from '@handset/protocol';
import type { FastifyInstance } from 'fastify';

const BROWSER_PATHS = ['/v1/client/', '/v1/sandbox/carrier/', '/v1/operator/callback'];

export function installCors(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (!BROWSER_PATHS.some((p) => request.url.startsWith(p))) return;
    reply.header('access-control-allow-origin', '*');
    if (request.method === 'OPTIONS') {
      reply
        .code(204)
        .header('access-control-allow-methods', 'POST, GET, OPTIONS')
        .header('access-control-allow-headers', CORS_ALLOWED_HEADERS.join(', '))
        .header('access-control-max-age', '600')
        .send();
    }
  });
  // Preflights need a route to reach the hook.
  app.options('/v1/client/*', { schema: { hide: true } }, async () => undefined);
  app.options('/v1/sandbox/carrier/*', { schema: { hide: true } }, async () => undefined);
}
