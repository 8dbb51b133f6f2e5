/**
 * The server's CPU per whole mobile flow, in one process, for before/after comparisons of the
 * server's code (issue 13 item 3). The six requests of `npm run bench:flows`'s `mobile-otp` flow
 * go through Fastify's `inject()` (no sockets, no load-generator process competing for the core),
 * 50 flows in flight; the device keys are made before the clock starts. Several source trees can be
 * loaded side by side (each its own copy of the server's modules; node_modules shared) and are
 * measured in interleaved rounds, alternating which goes first; the figure per tree is the median
 * of its rounds, and the difference between trees is in µs of this process's CPU per flow.
 *
 * What it leaves out: HTTP parsing and socket writes (the same in every tree). What it includes
 * that the server does not do: inject's own request objects and the test's client work (the same
 * for every tree, so it cancels out of a difference). Log level `info` into /dev/null, as deployed.
 *
 *   node --import tsx bench/flow-cpu.bench.ts [--flows 2000] [--rounds 6] [--database URL] [TREE ...]
 *   (no TREE: this repository; a tree is a directory with the repository's layout, e.g. a
 *   `git worktree` or `git archive` export with node_modules linked in)
 *   node --cpu-prof --cpu-prof-dir=.tmp/prof --import tsx bench/flow-cpu.bench.ts --rounds 1 --flows 8000
 */
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { phoneFor } from '../scripts/soak/flows.js';
import { median } from './support/stats.js';

const { values: options, positionals } = parseArgs({
  options: {
    flows: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '6' },
    'in-flight': { type: 'string', default: '50' },
    database: { type: 'string' },
  },
  allowPositionals: true,
});
const FLOWS = Number(options.flows);
const ROUNDS = Number(options.rounds);
const IN_FLIGHT = Number(options['in-flight']);
const trees = positionals.length > 0 ? positionals.map((p) => resolve(p)) : [resolve(import.meta.dirname, '..')];

interface Key {
  keyId: string;
  pem: string;
  sign(message: string): string;
}

function makeKey(): Key {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return {
    keyId: randomUUID(),
    pem: `-----BEGIN PUBLIC KEY-----\n${der.toString('base64')}\n-----END PUBLIC KEY-----`,
    sign: (message) => sign('sha256', Buffer.from(message, 'utf8'), { key: privateKey, dsaEncoding: 'der' }).toString('base64'),
  };
}

interface Inject {
  (options: { method: string; url: string; headers?: Record<string, string>; payload?: string }): Promise<{ statusCode: number; body: string }>;
}

interface Tree {
  name: string;
  inject: Inject;
  token: string;
  code(correlationId: string): Promise<string>;
  stop(): Promise<void>;
}

async function load(root: string, index: number): Promise<Tree> {
  const src = (path: string): Promise<any> => import(pathToFileURL(join(root, 'packages/server/src', path)).href);
  const [{ loadConfig, NO_ABUSE_LIMITS }, { createLogger }, { startServer }, { createClient }] = await Promise.all([
    src('config.ts'),
    src('deps.ts'),
    src('server.ts'),
    src('flows/clients.ts'),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'handset-flow-cpu-'));
  const database = options.database ?? join(dir, 'handset.db');
  const base = loadConfig({ port: 0, host: '127.0.0.1', database, dev: true }, {});
  const config = { ...base, rateLimitPerSecond: 0, limits: NO_ABUSE_LIMITS, logLevel: 'info' };
  const server = await startServer(Object.freeze(config), { log: createLogger('info', pino.destination({ dest: '/dev/null', sync: false })) });
  const app = server.app;
  const client = await createClient(server.deps.db.kysely, server.deps, 'bench');
  const tokenReply = await app.inject({
    method: 'POST',
    url: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }).toString(),
  });
  const token = (JSON.parse(tokenReply.body) as { access_token: string }).access_token;
  const db = server.deps.db.kysely;
  return {
    name: `${index}:${root}`,
    inject: (o) => app.inject(o),
    token,
    async code(correlationId) {
      const row = await db.selectFrom('sms_outbox').select('body').where('correlation_id', '=', correlationId).executeTakeFirst();
      return /\b(\d{4,6})\b/.exec(row?.body ?? '')?.[1] ?? '';
    },
    async stop() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let phoneSequence = 0;

async function mobileFlow(tree: Tree, key: Key): Promise<void> {
  const post = async (url: string, body: unknown, bearer: string): Promise<any> => {
    const reply = await tree.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', accept: 'application/json', 'PA-Version': 'ProveAuth/3.6.2 Contract/2.15.1 WEB/1', authorization: `Bearer ${bearer}` },
      payload: JSON.stringify(body),
    });
    if (reply.statusCode !== 200) throw new Error(`${url}: ${reply.statusCode} ${reply.body.slice(0, 200)}`);
    return JSON.parse(reply.body);
  };
  // A new phone user each flow, each in its own range: the default policy caps texts per range.
  const phone = phoneFor(phoneSequence++);
  const started = await post('/v3/unify', { possessionType: 'mobile', phoneNumber: phone, clientRequestId: 'bench' }, tree.token);
  const authToken: string = started.authToken;
  const claims = JSON.parse(Buffer.from(authToken.split('.')[1]!, 'base64').toString('latin1'));
  const challenge: string = claims.auth.chlg;
  const expectNext = (reply: any, next: string): void => {
    if (reply.next !== next) throw new Error(`expected next ${next}: ${JSON.stringify(reply).slice(0, 200)}`);
  };
  expectNext(
    await post(
      '/v1/client/device/passive/register',
      {
        deviceName: 'bench',
        deviceCapabilities: [],
        registrations: [{ publicKey: { id: key.keyId, alg: 'ES256', key: key.pem, uvLevel: 0 }, signature: key.sign(challenge) }],
        signals: {},
      },
      authToken,
    ),
    'mobile/instant',
  );
  expectNext(await post('/v1/client/mobile/instant/error', { code: 10002, message: 'Mobile Auth failed' }, authToken), 'mobile/otp');
  await post('/v1/client/mobile/otp/start', {}, authToken);
  expectNext(await post('/v1/client/mobile/otp/finish', { otp: await tree.code(started.correlationId) }, authToken), 'done');
  const status = await post('/v3/unify-status', { correlationId: started.correlationId }, tree.token);
  if (status.success !== 'true') throw new Error(`status: ${JSON.stringify(status)}`);
}

/** Runs `count` flows, `IN_FLIGHT` at a time; returns this process's CPU µs per flow. */
async function measure(tree: Tree, count: number): Promise<number> {
  const keys = Array.from({ length: count }, makeKey);
  let next = 0;
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) await mobileFlow(tree, keys[next++]!);
    }),
  );
  const used = process.cpuUsage(before);
  return (used.user + used.system) / count;
}


const loaded: Tree[] = [];
for (const [i, root] of trees.entries()) loaded.push(await load(root, i));
try {
  for (const tree of loaded) await measure(tree, Math.min(500, FLOWS)); // warm-up
  const results = new Map<Tree, number[]>(loaded.map((t) => [t, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? loaded : [...loaded].reverse();
    for (const tree of order) results.get(tree)!.push(await measure(tree, FLOWS));
    console.log(`round ${round + 1}: ${loaded.map((t) => `${t.name} ${results.get(t)!.at(-1)!.toFixed(0)} µs/flow`).join('; ')}`);
  }
  console.log(`\nmedian CPU per mobile flow (${FLOWS} flows × ${ROUNDS} rounds, ${IN_FLIGHT} in flight, inject):`);
  for (const tree of loaded) {
    const values = results.get(tree)!;
    console.log(`${tree.name}: median ${median(values).toFixed(0)} µs, min ${Math.min(...values).toFixed(0)} µs`);
  }
  if (loaded.length === 2) {
    const [a, b] = loaded.map((t) => results.get(t)!);
    const diffs = a!.map((v, i) => b![i]! - v);
    console.log(`second − first, per round: ${diffs.map((d) => d.toFixed(0)).join(', ')} µs; median ${median(diffs).toFixed(0)} µs`);
  }
} finally {
  for (const tree of loaded) await tree.stop();
}
