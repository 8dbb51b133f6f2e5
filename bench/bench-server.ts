/**
 * A server for the benchmark, run in its own process so the load generator does not share its
 * event loop. `bare`: a Fastify JSON route with a validated body (the baseline). `handset`: the
 * platform on a SQLite file (or HANDSET_BENCH_DATABASE_URL), with a client, a token and one
 * session ready. Prints one JSON line describing itself, then serves until killed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { loadConfig, NO_ABUSE_LIMITS } from '../packages/server/src/config.js';
import { createClient } from '../packages/server/src/flows/clients.js';
import { createLogger } from '../packages/server/src/deps.js';
import { startServer } from '../packages/server/src/server.js';
import { freePort } from '../packages/server/src/testing.js';

const kind = process.argv[2];

if (kind === 'bare') {
  const app = Fastify({ logger: false });
  app.post(
    '/v3/unify-status',
    {
      schema: {
        body: { type: 'object', required: ['correlationId'], properties: { correlationId: { type: 'string' } } },
        response: { 200: { type: 'object', properties: { success: { type: 'string' } } } },
      },
    },
    async () => ({ success: 'pending' }),
  );
  const port = await freePort();
  await app.listen({ port, host: '127.0.0.1' });
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}` }));
} else if (kind === 'handset') {
  const port = await freePort();
  const databaseUrl = process.env.HANDSET_BENCH_DATABASE_URL ?? join(mkdtempSync(join(tmpdir(), 'handset-bench-')), 'handset.db');
  const base = loadConfig({ port, host: '127.0.0.1', database: databaseUrl, dev: true }, {});
  const config = { ...base, rateLimitPerSecond: 0, limits: NO_ABUSE_LIMITS, logLevel: 'silent' };
  const server = await startServer(Object.freeze(config), { log: createLogger('silent') });
  const client = await createClient(server.deps.db.kysely, server.deps, 'bench');
  const url = `http://127.0.0.1:${port}`;
  const tokenReply = await fetch(`${url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }),
  });
  const { access_token: token } = (await tokenReply.json()) as { access_token: string };
  const unify = await fetch(`${url}/v3/unify`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ possessionType: 'mobile', phoneNumber: '+12025550100', clientRequestId: 'bench' }),
  });
  const { correlationId } = (await unify.json()) as { correlationId: string };
  console.log(JSON.stringify({ url, token, correlationId, database: server.deps.db.dialect }));
  process.on('SIGINT', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
} else {
  console.error('usage: bench-server.ts bare|handset');
  process.exit(2);
}
