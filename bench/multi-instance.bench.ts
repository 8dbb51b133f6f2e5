/**
 * Benchmark: whole flows per second on SQLite, on PostgreSQL, and on two instances sharing one
 * PostgreSQL database, next to the bare Fastify route baseline of the same run.
 *
 * Modes: `sqlite` (one instance, SQLite file), `postgres` (one instance), `two-instances` (two
 * instances, every flow alternating its calls between them, so the Instant Link flow releases its
 * desktop through LISTEN/NOTIFY). Every instance is pinned to core 0, as in unify.bench.ts: the
 * two-instance mode gets the CPU budget of one and shows the cost of coordinating, not scaling.
 *
 * Flows, each a sequence of real HTTP/WebSocket calls (20 flows in flight):
 * - bind: `/v3/unify` (none) → device register (ECDSA-signed) → `/v3/unify-bind` → `/v3/unify-status` "true".
 * - instant link: `/v3/unify` (desktop) → status socket open → instantlink start → the phone's SMS
 *   (read from the outbox table) → link opened → `{"next":"done"}` on the socket.
 * Plus `/v3/unify-status` under autocannon (concurrency 50) for each mode.
 *
 *   node --import tsx bench/multi-instance.bench.ts            (BENCH_SECONDS=10, all modes)
 *   BENCH_MODES=postgres,two-instances node --import tsx bench/multi-instance.bench.ts
 *
 * PostgreSQL: HANDSET_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test); each
 * mode gets a fresh schema, dropped afterwards.
 */
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientPath, PA_VERSION } from '@handset/protocol';
import WebSocket from 'ws';
import { openDatabase, type Db } from '../packages/server/src/store/database.js';
import { createScratchSchema, type ScratchSchema } from '../packages/server/src/store/scratch-schema.js';
import { phoneFor } from '../scripts/soak/flows.js';
import { measure, startBenchServer, type Measured } from './unify.bench.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const FLOWS_IN_FLIGHT = 20;
const PG_URL = process.env.HANDSET_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MODES = (process.env.BENCH_MODES ?? 'sqlite,postgres,two-instances').split(',');

type Mode = 'sqlite' | 'postgres' | 'two-instances';

interface Deployment {
  mode: Mode;
  /** Instance URLs: one, or two. */
  urls: string[];
  token: string;
  /** The database, opened by the bench to read the phone's SMS (what a phone would receive). */
  db: Db;
  stop(): Promise<void>;
}

interface FlowResult {
  name: string;
  flows: number;
  perSecond: number;
  p50: number;
  p99: number;
  failures: number;
  firstFailure: string | null;
}

async function deploy(mode: Mode): Promise<Deployment> {
  let scratch: ScratchSchema | null = null;
  let dir: string | null = null;
  let url: string;
  if (mode === 'sqlite') {
    dir = mkdtempSync(join(tmpdir(), 'handset-bench-'));
    url = join(dir, 'handset.db');
  } else {
    scratch = await createScratchSchema(PG_URL, 'hs_bench');
    url = scratch.url;
  }
  const count = mode === 'two-instances' ? 2 : 1;
  const servers: Array<Awaited<ReturnType<typeof startBenchServer>>> = [];
  for (let i = 0; i < count; i++) servers.push(await startBenchServer('handset', { HANDSET_BENCH_DATABASE_URL: url }));
  const db = openDatabase(url);
  return {
    mode,
    urls: servers.map((s) => s.info.url),
    token: servers[0]!.info.token!,
    db,
    async stop() {
      for (const s of servers) s.child.kill();
      await db.close();
      await scratch?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function post<T>(url: string, body: unknown, headers: Record<string, string>): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'PA-Version': PA_VERSION, ...headers },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as T;
  if (response.status !== 200) throw new Error(`${new URL(url).pathname} → ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** A fresh Prove Key and its registration body for `challenge`. */
function registration(challenge: string): unknown {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = `-----BEGIN PUBLIC KEY-----\n${publicKey.export({ format: 'der', type: 'spki' }).toString('base64')}\n-----END PUBLIC KEY-----`;
  return {
    deviceName: 'bench',
    deviceCapabilities: [],
    registrations: [
      {
        publicKey: { id: randomUUID(), alg: 'ES256', key: pem, uvLevel: 0 },
        signature: sign('sha256', Buffer.from(challenge), { key: privateKey, dsaEncoding: 'der' }).toString('base64'),
      },
    ],
    signals: {},
  };
}

function claimsOf(authToken: string): { chlg: string } {
  return (JSON.parse(Buffer.from(authToken.split('.')[1]!, 'base64').toString('latin1')) as { auth: { chlg: string } }).auth;
}

/** Phone numbers 202-555-0100…0199: one per flow in flight (flows that send no text). */
const phoneOf = (worker: number): string => `+1202555${String(100 + worker).padStart(4, '0')}`;

async function bindFlow(d: Deployment, worker: number, n: number): Promise<void> {
  const [x, y] = n % 2 === 0 ? [d.urls[0]!, d.urls.at(-1)!] : [d.urls.at(-1)!, d.urls[0]!];
  const bearer = { authorization: `Bearer ${d.token}` };
  const phoneNumber = phoneOf(worker);
  const started = await post<{ correlationId: string; authToken: string }>(`${x}/v3/unify`, { possessionType: 'none', phoneNumber, clientRequestId: 'bench' }, bearer);
  await post(`${y}${ClientPath.DEVICE_PASSIVE_REGISTER}`, registration(claimsOf(started.authToken).chlg), { authorization: `Bearer ${started.authToken}` });
  await post(`${x}/v3/unify-bind`, { correlationId: started.correlationId, phoneNumber }, bearer);
  const status = await post<{ success: string }>(`${y}/v3/unify-status`, { correlationId: started.correlationId }, bearer);
  if (status.success !== 'true') throw new Error(`status ${status.success}`);
}

async function latestLink(d: Deployment, phone: string, since: number): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const row = await d.db.kysely
      .selectFrom('sms_outbox')
      .select('body')
      .where('to_e164', '=', phone)
      .where('sent_at', '>=', since)
      .orderBy('sent_at', 'desc')
      .executeTakeFirst();
    const link = row && /(https?:\/\/\S+)/.exec(row.body)?.[1];
    if (link) return new URL(link).pathname;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('no Instant Link SMS');
}

async function instantLinkFlow(d: Deployment, _worker: number, n: number): Promise<void> {
  const [x, y] = n % 2 === 0 ? [d.urls[0]!, d.urls.at(-1)!] : [d.urls.at(-1)!, d.urls[0]!];
  // A number of its own range per flow: the default policy caps texts per number and per range.
  const phoneNumber = phoneFor(n);
  const since = Date.now() - 1000;
  const started = await post<{ authToken: string }>(
    `${x}/v3/unify`,
    { possessionType: 'desktop', phoneNumber, finalTargetUrl: 'https://shop.example.com/done', clientRequestId: 'bench' },
    { authorization: `Bearer ${d.token}` },
  );
  const socket = new WebSocket(`${x.replace(/^http/, 'ws')}${ClientPath.STATUS_SOCKET}?token=${encodeURIComponent(started.authToken)}`);
  try {
    const released = new Promise<string>((resolve, reject) => {
      socket.once('message', (data) => resolve(data.toString()));
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('socket closed')));
      setTimeout(() => reject(new Error('desktop not released within 20 s')), 20_000).unref();
    });
    released.catch(() => {});
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    await post(`${x}${ClientPath.MOBILE_INSTANTLINK_START}`, { sourceIp: null, isMobile: false }, { authorization: `Bearer ${started.authToken}` });
    const path = await latestLink(d, phoneNumber, since);
    const opened = await fetch(`${y}${path}`, { redirect: 'manual' });
    await opened.body?.cancel();
    if (opened.status !== 302) throw new Error(`link → ${opened.status}`);
    const message = await released;
    if (message !== '{"next":"done"}') throw new Error(`socket said ${message}`);
  } finally {
    socket.close();
  }
}

async function runFlows(name: string, d: Deployment, flow: (d: Deployment, worker: number, n: number) => Promise<void>): Promise<FlowResult> {
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | null = null;
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: FLOWS_IN_FLIGHT }, async (_, worker) => {
      for (let n = worker; performance.now() < deadline; n += FLOWS_IN_FLIGHT) {
        const t = performance.now();
        try {
          await flow(d, worker, n);
          latencies.push(performance.now() - t);
        } catch (error) {
          failures += 1;
          firstFailure ??= (error as Error).message;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return { name, flows: latencies.length, perSecond: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), failures, firstFailure };
}

/** `/v3/unify-status` under autocannon; two instances are loaded at once and their rates added. */
async function statusRoute(d: Deployment): Promise<Measured> {
  const auth = { authorization: `Bearer ${d.token}` };
  const started = await post<{ correlationId: string }>(`${d.urls[0]}/v3/unify`, { possessionType: 'mobile', phoneNumber: phoneOf(99), clientRequestId: 'bench' }, auth);
  const real = JSON.stringify({ correlationId: started.correlationId });
  const parts = await Promise.all(d.urls.map((u) => measure('POST /v3/unify-status', `${u}/v3/unify-status`, real, auth)));
  return {
    name: 'POST /v3/unify-status',
    rps: parts.reduce((sum, p) => sum + p.rps, 0),
    p99: Math.max(...parts.map((p) => p.p99)),
    errors: parts.reduce((sum, p) => sum + p.errors, 0),
  };
}

async function main(): Promise<void> {
  const bare = await startBenchServer('bare');
  let baseline: Measured;
  try {
    baseline = await measure('bare Fastify JSON route', `${bare.info.url}/v3/unify-status`, JSON.stringify({ correlationId: 'x' }));
  } finally {
    bare.child.kill();
  }
  const rows: string[] = [];
  for (const mode of MODES as Mode[]) {
    const d = await deploy(mode);
    try {
      const status = await statusRoute(d);
      const bind = await runFlows('bind flow', d, bindFlow);
      const link = await runFlows('Instant Link flow', d, instantLinkFlow);
      rows.push(`| ${mode} | /v3/unify-status (autocannon, 50 conns) | ${Math.round(status.rps)} req/s | ${status.p99} | ${status.errors} | ${(status.rps / baseline.rps).toFixed(2)} |`);
      for (const f of [bind, link]) {
        rows.push(`| ${mode} | ${f.name} (${FLOWS_IN_FLIGHT} in flight) | ${f.perSecond.toFixed(0)} flows/s | ${f.p99} (p50 ${f.p50}) | ${f.failures} | – |`);
        if (f.firstFailure) console.error(`${mode} ${f.name}: first failure: ${f.firstFailure}`);
      }
    } finally {
      await d.stop();
    }
  }
  console.log(`\n${SECONDS} s per measurement; every Handset instance pinned to core 0; PostgreSQL ${PG_URL.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')}`);
  console.log('| mode | what | rate | p99 ms | failures | ratio to bare |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: |');
  console.log(`| – | bare Fastify JSON route (autocannon, 50 conns) | ${Math.round(baseline.rps)} req/s | ${baseline.p99} | ${baseline.errors} | 1.00 |`);
  for (const row of rows) console.log(row);
}

await main();
