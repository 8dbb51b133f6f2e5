/**
 * How much one caller WITHOUT credentials can make the database grow (issue 9: "one client
 * without credentials can no longer grow the database without bound").
 *
 * `node --import tsx bench/unauthenticated-writes.ts [--requests 10000]`
 *
 * Starts two platforms on SQLite in the same run, one with every abuse bound off (the baseline:
 * how it was before) and one with the default bounds, sends each the same mix of requests from one
 * address with no client secret and no authToken (challenges for random device ids, signed-less
 * unregisters, `/token` with a wrong secret and with unknown client ids, unknown Instant Links
 * and carrier tokens), and prints the rows added per table and the answers by status.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { loadConfig, NO_ABUSE_LIMITS, type AbuseLimits } from '../packages/server/src/config.js';
import { startTestServer, type TestServer } from '../packages/server/src/testing.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '10000' } } });
const REQUESTS = Number(values.requests);
if (!Number.isInteger(REQUESTS) || REQUESTS <= 0) throw new Error(`--requests must be a positive integer, got ${values.requests}`);
const IN_FLIGHT = 16;

async function rowsPerTable(server: TestServer): Promise<Map<string, number>> {
  const db = server.server.deps.db.kysely;
  const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%'`.execute(db);
  const counts = new Map<string, number>();
  for (const { name } of tables.rows) {
    const row = await sql<{ n: number }>`select count(*) as n from ${sql.table(name)}`.execute(db);
    counts.set(name, Number(row.rows[0]!.n));
  }
  return counts;
}

/** The i-th request of the mix: the same sequence for both servers. */
function request(server: TestServer, i: number): Promise<Response> {
  const json = (path: string, body: unknown) =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const form = (fields: Record<string, string>) =>
    fetch(`${server.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  switch (i % 6) {
    case 0:
    case 1:
      return json('/v1/client/challenge', { deviceId: randomUUID() });
    case 2:
      return json('/v1/client/device/unregister', { deviceId: randomUUID() });
    case 3:
      return form({ grant_type: 'client_credentials', client_id: i % 12 === 3 ? server.clientId : randomUUID(), client_secret: 'wrong' });
    case 4:
      return fetch(`${server.url}/v1/il/${randomUUID()}`);
    default:
      return fetch(`${server.url}/v1/sandbox/carrier/${randomUUID()}`, { redirect: 'manual' });
  }
}

async function run(label: string, limits: Partial<AbuseLimits>): Promise<void> {
  const server = await startTestServer({ limits });
  try {
    const before = await rowsPerTable(server);
    const statuses = new Map<number, number>();
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < REQUESTS) {
          const response = await request(server, next++);
          await response.arrayBuffer();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const after = await rowsPerTable(server);
    const grown = [...after].map(([table, n]) => [table, n - (before.get(table) ?? 0)] as const).filter(([, d]) => d !== 0);
    const total = grown.reduce((sum, [, d]) => sum + d, 0);
    console.log(`\n${label}: ${REQUESTS} requests in ${seconds.toFixed(1)} s`);
    console.log(`  answers: ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s} × ${n}`).join(' · ')}`);
    console.log(`  rows added: ${total}${grown.length > 0 ? ` (${grown.map(([t, d]) => `${t} +${d}`).join(', ')})` : ''}`);
  } finally {
    await server.close();
  }
}

await run('abuse bounds off (the baseline)', NO_ABUSE_LIMITS);
await run('default abuse bounds', loadConfig({}, {}).limits);
