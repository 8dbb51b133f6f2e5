/**
 * @module bench/flows/skeleton-server
 * The `skeleton` of `npm run bench:flows`: the six-request mobile flow (`mobile-otp`) served with
 * nothing but the work the flow cannot do without, so that the same run measures what Handset's
 * own code costs on top of it (issue 13: "why it cannot go lower").
 *
 * What it keeps, as Handset does it: Fastify 5 with a JSON schema per body (ajv) and one pino line
 * per request at `info` on stdout; the integrator's bearer token hashed and looked up in memory;
 * the number normalised by Handset's `normalizePhone` and typed by libphonenumber-js/max at the
 * send; one ES256 authToken per flow, signed and verified by Handset's own `AuthTokenVerifier`
 * (cached as verified where it was minted); the Prove Key's PEM imported and its signature of the
 * challenge verified by Handset's own functions; the OTP's code drawn by `randomInt` and kept as
 * an HMAC; Handset's own schema (its migrations) and the SAME SQL texts Handset runs, statement
 * for statement (30 per flow), in one better-sqlite3 transaction per step, the `/v3/unify`
 * inserts group-committed per event-loop turn as Handset's are; the WAL copied back by Handset's
 * checkpoint worker.
 *
 * What it leaves out: Kysely, the state machine, the fraud policy's evaluation (its timeline rows
 * are written, with fixed contents), rate limits, metrics, the event bus, webhooks' dispatch,
 * error answers beyond a bare `{code, message}`, and every other route. It serves this one flow
 * only, trusts the client secret at `/token` (called once per run), and is not a server to run.
 *
 *   node --import tsx bench/flows/skeleton-server.ts --port 8080 --database /tmp/skeleton.db
 */
import { createHash, createHmac, generateKeyPairSync, randomInt, randomUUID } from 'node:crypto';
import type { AuthTokenClaims } from '@handset/protocol';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import pino from 'pino';
import { devicePublicKey, verifyDeviceSignature } from '../../packages/server/src/device-key/signatures.js';
import { maskPhone, normalizePhone } from '../../packages/server/src/lib/phone.js';
import { migrateToLatest, openDatabase } from '../../packages/server/src/store/database.js';
import { WalCheckpointer } from '../../packages/server/src/store/wal-checkpointer.js';
import { AuthTokenVerifier } from '../../packages/server/src/tokens/auth-token.js';

const { values: args } = parseArgs({
  options: { port: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' }, database: { type: 'string' }, 'batch-steps': { type: 'boolean', default: false } },
});
if (!args.port || !args.database) throw new Error('usage: skeleton-server --port N --database FILE');

// Handset's schema, by Handset's migrations; then a connection of our own, opened as Handset opens it.
const migrated = openDatabase(args.database);
await migrateToLatest(migrated);
await migrated.close();
const db = new SQLite(args.database);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
const checkpointer = new WalCheckpointer(db, args.database);

// --- the statements: Handset's own SQL texts (traced from one mobile flow) --------------------
const SESSION_COLUMNS = `"correlation_id", "auth_id", "client_id", "token_id", "state", "possession_type", "phone_e164", "phone_display", "prove_id", "challenge", "final_target_url", "sms_message", "allow_otp_retry", "rebind", "client_request_id", "client_customer_id", "client_human_id", "email_address", "ip_address", "device_id", "device_match", "failure_reason", "otp_hash", "otp_sent_at", "otp_attempts", "otp_resends", "link_hash", "link_sent_at", "link_resends", "proof_to", "mobile_auth_token", "mobile_auth_confirmed", "created_at", "expires_at", "ended_at", "purge_at", "sim_swap_risk", "mobile_auth_vouched", "policy_reasons"`;
const eventRows = (n: number): string =>
  `insert into session_events (correlation_id, seq, at, type, from_state, to_state, reason, channel, destination) select ?, b.last + v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8 from (values ${Array.from({ length: n }, (_, i) => `(${i + 1}, ?, ?, ?, ?, ?, ?, ?)`).join(', ')}) as v, (select coalesce(max(seq), 0) as last from session_events where correlation_id = ?) as b order by v.column1`;
const sql = {
  insertSession: db.prepare(`insert into "sessions" (${SESSION_COLUMNS}) values (${Array(39).fill('?').join(', ')})`),
  firstEvent: db.prepare(`insert into "session_events" ("correlation_id", "seq", "at", "type", "from_state", "to_state", "reason", "channel", "destination") values (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
  lockSession: db.prepare(`select ${SESSION_COLUMNS} from "sessions" where "auth_id" = ?`),
  insertDevice: db.prepare(`insert into "devices" ("id", "client_id", "key_id", "public_key", "phone_e164", "created_at", "bound_at", "last_used_at", "revoked_at") values (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
  registered: db.prepare(`update "sessions" set "device_id" = ?, "device_match" = ?, "state" = ? where "correlation_id" = ?`),
  oneEvent: db.prepare(eventRows(1)),
  sixEvents: db.prepare(eventRows(6)),
  insertSms: db.prepare(`insert into "sms_outbox" ("id", "client_id", "to_e164", "body", "sent_at", "correlation_id") values (?, ?, ?, ?, ?, ?)`),
  otpSent: db.prepare(`update "sessions" set "mobile_auth_token" = ?, "mobile_auth_confirmed" = ?, "proof_to" = ?, "state" = ?, "otp_hash" = ?, "otp_sent_at" = ? where "correlation_id" = ?`),
  selectIdentity: db.prepare(`select "prove_id" from "identities" where "client_id" = ? and "phone_e164" = ?`),
  insertIdentity: db.prepare(`insert into "identities" ("client_id", "phone_e164", "prove_id", "created_at") values (?, ?, ?, ?) on conflict ("client_id", "phone_e164") do nothing returning "prove_id"`),
  bindDevice: db.prepare(`update "devices" set "phone_e164" = ?, "bound_at" = ?, "last_used_at" = ? where "id" = ?`),
  succeeded: db.prepare(`update "sessions" set "otp_hash" = ?, "proof_to" = ?, "state" = ?, "ended_at" = ?, "purge_at" = ?, "prove_id" = ? where "correlation_id" = ?`),
  webhookEndpoints: db.prepare(`select "id", "events", "include_phone" from "webhook_endpoints" where "client_id" = ?`),
  status: db.prepare(`select "correlation_id", "state", "possession_type", "expires_at", "link_sent_at", "phone_display", "prove_id", "client_human_id", "failure_reason", "device_id", "sim_swap_risk", "policy_reasons" from "sessions" where "correlation_id" = ? and "client_id" = ?`),
  client: db.prepare(`select "id" from "clients" where "id" = ?`),
};

interface Session {
  correlation_id: string;
  client_id: string;
  token_id: string;
  state: string;
  phone_e164: string;
  challenge: string;
  device_id: string | null;
  otp_hash: string | null;
}

// --- tokens ------------------------------------------------------------------------------------
const otpKey = randomUUID();
const accessTokens = new Map<string, string>(); // sha256(token) → client id
// Handset's own authToken signer and verifier: a token is cached as verified where it was minted.
const authTokens = new AuthTokenVerifier({ kid: 'dev', ...generateKeyPairSync('ec', { namedCurve: 'P-256' }), generated: true });
const hash = (text: string): string => createHash('sha256').update(text).digest('hex');

function mintAuthToken(correlationId: string, authId: string, challenge: string, jti: string, now: number): string {
  const claims: AuthTokenClaims = {
    rid: correlationId.slice(0, 8),
    iat: Math.floor(now / 1000),
    exp: Math.floor(now / 1000) + 900,
    jti,
    auth: { id: authId, ans: 'handset-skeleton', endp: 'http://127.0.0.1:0', chlg: challenge, next: 'device/passive', subs: { dev: { auths: { pasv: {} } }, mob: { auths: { inst: {}, otp: { mnp: true } } } } },
  };
  return authTokens.issue(claims, now);
}

/** The claims of a client call's authToken, or null when it is not a live token of this server. */
function authClaims(request: FastifyRequest): AuthTokenClaims | null {
  const header = request.headers.authorization;
  if (!header?.startsWith('Bearer ')) return null;
  const verified = authTokens.verify(header.slice(7), Date.now());
  return verified.ok ? verified.claims : null;
}

// --- the server ----------------------------------------------------------------------------------
// The deployment's log level (bench:flows: info, as deployed; npm run bench: silent, as its Handset).
const log = pino({ level: process.env.HANDSET_LOG_LEVEL ?? 'info' });
const app = Fastify({ loggerInstance: log, disableRequestLogging: true, bodyLimit: 4095 });
app.addHook('onResponse', async (request, reply) => {
  request.log.info({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
});
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
  done(null, Object.fromEntries(new URLSearchParams(body as string)));
});
const refuse = (reply: FastifyReply, status: number, code: string): FastifyReply => reply.code(status).send({ code, message: code });
const object = (properties: Record<string, unknown>, required: string[] = []): object => ({ type: 'object', properties, required });

app.get('/readyz', async () => ({ ready: true }));

app.post('/token', async (request, reply) => {
  const body = request.body as Record<string, string>;
  if (!sql.client.get(body.client_id ?? '')) return refuse(reply, 401, 'invalid_client');
  const token = `hs_at_${randomUUID()}`;
  accessTokens.set(hash(token), body.client_id!);
  return { access_token: token, token_type: 'Bearer', expires_in: 3600 };
});

/** The integrator's client id for a server-API call, or null. */
function integrator(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? (accessTokens.get(hash(header.slice(7))) ?? null) : null;
}

/**
 * Group commit, as Handset's store/group-commit.ts: the work of one event-loop turn shares one
 * transaction, and each caller's promise settles after that commit. A batch that throws is rolled
 * back and each work runs again alone (so `work` must only write). Handset does this for the
 * `/v3/unify` insert; with `--batch-steps` the skeleton does it for the client steps too (one
 * transaction per turn instead of one per step: what issue 13's "one transaction per step" rules out).
 */
interface Batched {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}
let batch: Batched[] = [];
function inBatch<T>(work: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (batch.push({ work, resolve: resolve as (value: unknown) => void, reject }) === 1) setImmediate(commitBatch);
  });
}
function commitBatch(): void {
  const items = batch;
  batch = [];
  let results: unknown[];
  try {
    results = db.transaction(() => items.map((item) => item.work()))();
  } catch {
    for (const item of items) {
      try {
        item.resolve(db.transaction(item.work)());
      } catch (error) {
        item.reject(error);
      }
    }
    return;
  }
  items.forEach((item, i) => item.resolve(results[i]));
}

const unifyBody = object({ possessionType: { type: 'string', enum: ['mobile', 'desktop', 'none'] }, phoneNumber: { type: 'string', maxLength: 32 }, clientRequestId: { type: 'string', maxLength: 128 } }, ['possessionType', 'phoneNumber']);
app.post('/v3/unify', { schema: { body: unifyBody } }, async (request, reply) => {
  const clientId = integrator(request);
  if (!clientId) return refuse(reply, 401, 'unauthorized');
  const body = request.body as { possessionType: string; phoneNumber: string; clientRequestId?: string };
  const e164 = normalizePhone(body.phoneNumber);
  if (!e164) return refuse(reply, 400, 'invalid_phone_number');
  const now = Date.now();
  const correlationId = randomUUID();
  const authId = randomUUID();
  const jti = randomUUID();
  const challenge = randomUUID().replaceAll('-', '');
  const session = [correlationId, authId, clientId, jti, 'created', body.possessionType, e164, e164, null, challenge, null, null, 0, 0, body.clientRequestId ?? null, null, null, null, null, null, null, null, null, null, 0, 0, null, null, 0, null, null, 0, now, now + 900_000, null, now + 86_400_000, null, null, null];
  const event = [correlationId, 1, now, 'created', null, 'created', null, null, maskPhone(e164)];
  const authToken = mintAuthToken(correlationId, authId, challenge, jti, now);
  await inBatch(() => {
    sql.insertSession.run(...session);
    sql.firstEvent.run(...event);
  });
  return { success: 'pending', correlationId, authToken };
});

/**
 * A client-protocol step: the authToken's claims, then ONE transaction that locks the session
 * (checking it is the token's), runs `step` and commits; the answer is `step`'s. With
 * `--batch-steps`, the steps of one event-loop turn share the transaction (`inBatch`).
 */
function clientStep<B>(route: string, body: object, step: (session: Session, body: B, now: number) => object | string): void {
  app.post(route, { schema: { body } }, async (request, reply) => {
    const claims = authClaims(request);
    if (!claims) return refuse(reply, 401, 'unauthenticated');
    const work = (): object | string => {
      const session = sql.lockSession.get(claims.auth.id) as Session | undefined;
      if (!session || session.token_id !== claims.jti) return 'unauthenticated';
      return step(session, request.body as B, Date.now());
    };
    const outcome = args['batch-steps'] ? await inBatch(work) : db.transaction(work)();
    if (outcome === 'unauthenticated') return refuse(reply, 401, outcome);
    if (typeof outcome === 'string') return refuse(reply, 409, outcome);
    return outcome;
  });
}

const event = (s: Session, now: number, type: string, from: string, to: string, reason: string | null, channel: string | null): unknown[] => [
  s.correlation_id, now, type, from, to, reason, channel, null, s.correlation_id,
];

interface Registration {
  registrations: { publicKey: { id: string; key: string }; signature: string }[];
}
const registerBody = object(
  {
    deviceName: { type: 'string', maxLength: 100 },
    deviceCapabilities: { type: 'array', maxItems: 10, items: { type: 'string' } },
    registrations: {
      type: 'array',
      minItems: 1,
      maxItems: 1,
      items: object({ publicKey: object({ id: { type: 'string', maxLength: 64 }, alg: { const: 'ES256' }, key: { type: 'string', maxLength: 400 }, uvLevel: { type: 'integer' } }, ['id', 'alg', 'key']), signature: { type: 'string', maxLength: 200 } }, ['publicKey', 'signature']),
    },
    signals: { type: 'object' },
  },
  ['registrations'],
);
// The challenge is the session's: the signature is checked inside the step, against the locked row.
clientStep<Registration>('/v1/client/device/passive/register', registerBody, (s, body, now) => {
  if (s.state !== 'created') return 'wrong_state';
  const registration = body.registrations[0]!;
  // Handset's own key import (a JWK of the point, cached by PEM) and signature check.
  const key = devicePublicKey(registration.publicKey.key);
  if (!key || !verifyDeviceSignature(key, s.challenge, registration.signature)) return 'bad_signature';
  const deviceId = randomUUID();
  sql.insertDevice.run(deviceId, s.client_id, registration.publicKey.id, registration.publicKey.key, null, now, null, now, null);
  sql.registered.run(deviceId, 'new', 'awaiting_possession', s.correlation_id);
  sql.oneEvent.run(...event(s, now, 'device_checked:new', 'created', 'awaiting_possession', null, 'device'));
  return { next: 'mobile/instant', data: { deviceId } };
});

clientStep('/v1/client/mobile/instant/error', object({ code: { type: 'integer' }, message: { type: 'string', maxLength: 500 } }, ['code']), (s, _body, now) => {
  if (s.state !== 'awaiting_possession') return 'wrong_state';
  sql.oneEvent.run(...event(s, now, 'refused:mobile_auth_failed', s.state, s.state, 'not_allowed', 'carrier'));
  return { next: 'mobile/otp' };
});

clientStep('/v1/client/mobile/otp/start', object({}), (s, _body, now) => {
  if (s.state !== 'awaiting_possession') return 'wrong_state';
  // The premium-rate rule's input, as the fraud policy reads it at a send.
  parsePhoneNumberFromString(s.phone_e164)?.getType();
  const code = String(randomInt(0, 10_000)).padStart(4, '0');
  sql.insertSms.run(randomUUID(), s.client_id, s.phone_e164, `${code} is your temporary code to continue your application. Caution: for your security, don't share this code with anyone.`, now, s.correlation_id);
  sql.otpSent.run(null, 0, s.phone_e164, 'otp_sent', createHmac('sha256', otpKey).update(code).digest('hex'), now, s.correlation_id);
  const rules = ['deny-premium-rate', 'number-hourly-cap', 'number-daily-cap', 'client-hourly-cap', 'client-daily-cap'];
  const rows = rules.flatMap((rule) => [now, `policy:${rule}`, s.state, s.state, 'not_matched', 'policy', null]);
  sql.sixEvents.run(s.correlation_id, ...rows, now, 'otp_sent', s.state, 'otp_sent', null, 'sms', maskPhone(s.phone_e164), s.correlation_id);
  return { next: 'mobile/otp' };
});

clientStep<{ otp: string }>('/v1/client/mobile/otp/finish', object({ otp: { type: 'string', pattern: '^[0-9]{4,8}$' } }, ['otp']), (s, body, now) => {
  if (s.state !== 'otp_sent' || !s.otp_hash) return 'wrong_state';
  if (createHmac('sha256', otpKey).update(body.otp).digest('hex') !== s.otp_hash) return 'wrong_code';
  let proveId = (sql.selectIdentity.get(s.client_id, s.phone_e164) as { prove_id: string } | undefined)?.prove_id;
  proveId ??= (sql.insertIdentity.get(s.client_id, s.phone_e164, randomUUID(), now) as { prove_id: string }).prove_id;
  sql.bindDevice.run(s.phone_e164, now, now, s.device_id);
  sql.succeeded.run(null, null, 'succeeded', now, now + 86_400_000, proveId, s.correlation_id);
  // The client's webhook endpoints, for session.succeeded and device.bound (none subscribe here).
  sql.webhookEndpoints.all(s.client_id);
  sql.oneEvent.run(...event(s, now, 'otp_checked:correct', 'otp_sent', 'succeeded', null, null));
  return { next: 'done' };
});

app.post('/v3/unify-status', { schema: { body: object({ correlationId: { type: 'string', maxLength: 64 } }, ['correlationId']) } }, async (request, reply) => {
  const clientId = integrator(request);
  if (!clientId) return refuse(reply, 401, 'unauthorized');
  const row = sql.status.get((request.body as { correlationId: string }).correlationId, clientId) as { state: string; phone_display: string; prove_id: string; device_id: string } | undefined;
  if (!row) return refuse(reply, 404, 'not_found');
  if (row.state !== 'succeeded') return { success: row.state === 'failed' ? 'false' : 'pending' };
  return { success: 'true', phoneNumber: row.phone_display, proveId: row.prove_id, deviceId: row.device_id, evaluation: { authentication: { result: 'pass' } } };
});

await app.listen({ port: Number(args.port), host: args.host });
process.once('SIGTERM', () => {
  void app.close().then(async () => {
    await checkpointer.stop();
    db.close();
    process.exit(0);
  });
});
