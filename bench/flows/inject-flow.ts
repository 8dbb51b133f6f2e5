/**
 * @module bench/flows/inject-flow
 * The six-request mobile flow of `npm run bench:flows` (`mobile-otp`) through Fastify's `inject()`
 * in this process, against a server loaded from a source tree: what `flow-cpu.bench.ts` times and
 * `flow-floor.bench.ts` counts statements of. Device keys are made by the caller, before any clock.
 */
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { phoneFor } from '../../scripts/soak/flows.js';

export interface Key {
  keyId: string;
  pem: string;
  sign(message: string): string;
}

export function makeKey(): Key {
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

export interface Tree {
  name: string;
  inject: Inject;
  token: string;
  code(correlationId: string): Promise<string>;
  stop(): Promise<void>;
}

/** Starts the server of the tree at `root` on `database` (default: a SQLite file in a temporary directory). */
export async function load(root: string, index: number, database?: string): Promise<Tree> {
  const src = (path: string): Promise<any> => import(pathToFileURL(join(root, 'packages/server/src', path)).href);
  const [{ loadConfig, NO_ABUSE_LIMITS }, { createLogger }, { startServer }, { createClient }] = await Promise.all([
    src('config.ts'),
    src('deps.ts'),
    src('server.ts'),
    src('flows/clients.ts'),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'handset-flow-cpu-'));
  const databaseUrl = database ?? join(dir, 'handset.db');
  const base = loadConfig({ port: 0, host: '127.0.0.1', database: databaseUrl, dev: true }, {});
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

/** One whole mobile flow (a new phone user); throws when any answer is not the expected one. */
export async function mobileFlow(tree: Tree, key: Key): Promise<void> {
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

