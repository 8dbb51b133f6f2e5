/**
 * @module operations
 * Liveness (`/healthz`), readiness (`/readyz`: can the database answer?) and the OpenAPI document.
 */
import { ApiError } from '@handset/protocol';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';

export function operationsRoutes(app: FastifyInstance, deps: Deps): void {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (request, reply) => {
    try {
      await sql`select 1`.execute(deps.db.kysely);
      return { status: 'ready' };
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed');
      return reply.code(ApiError.UNAVAILABLE.status).send({ code: ApiError.UNAVAILABLE.code, message: 'the database is not reachable' });
    }
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
