/**
 * Losing the database under load and getting it back: two `handset serve` processes run
 * customer-supplied bind flows continuously (unify on one instance, register on the other, bind
 * on the first) while the machine's PostgreSQL is taken away.
 *
 * - Stopped, then started again: while it is down every failure is a clean 503
 *   `{code: 8013, message}` and `/readyz` says 503; afterwards requests succeed again with no
 *   restart of Handset, a desktop that waited on A through the outage is released when the phone
 *   opens its link on B, and every bind that answered "true" is still there.
 * - Restarted (`pg_ctlcluster restart`, what an operator does) under heavier load: the server
 *   terminates connections that requests hold mid-transaction, which once left an unhandled
 *   `'error'` event on a `pg` client and killed the process. Now no instance exits, clients see
 *   only 503s (no 500, no reset connection), every request sent once the database is back
 *   succeeds (the pools drop dead connections at once), and no bind that said "true" is lost.
 *
 * It stops the local PostgreSQL service, so it runs only when allowed:
 * `HANDSET_TEST_ALLOW_PG_RESTART=1` (npm test sets it under `CI`), a database on this machine,
 * and `pg_ctlcluster` available. The cluster is found by the port of the test database URL
 * (point HANDSET_TEST_DATABASE_URL at a cluster of your own to leave others' tests alone), and
 * started again in a `finally`, whatever happens.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it, type TestContext } from 'node:test';
import { ApiError, type UnifyResult } from '@handset/protocol';
import { createScratchSchema, type ScratchSchema } from '../../src/store/scratch-schema.js';
import { DeviceKey } from '../support/device-key.js';
import { createClientWithCli, latestSms, multiInstanceDatabase, startInstance, type Instance } from '../support/instances.js';
import { ProtocolClient, type Reply, type StatusSocket } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';

const database = multiInstanceDatabase();
const PHONE = '+12025550191';
const TARGET = 'https://shop.example.com/verified';

/** The local cluster serving the test database, found with pg_lsclusters, or why there is none. */
function localCluster(url: string): { version: string; name: string } | string {
  const { hostname, port } = new URL(url);
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(hostname)) return `the test database is not on this machine (${hostname})`;
  let listing: string;
  try {
    listing = execFileSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' });
  } catch {
    return 'pg_lsclusters is not available';
  }
  for (const line of listing.trim().split('\n')) {
    const [version, name, clusterPort, status] = line.trim().split(/\s+/);
    if (clusterPort === (port || '5432') && status === 'online' && version && name) return { version, name };
  }
  return `no online local cluster on port ${port || '5432'}`;
}

type Cluster = { version: string; name: string };

function findCluster(): { cluster: Cluster | null; skip: string | false } {
  if (database.skip) return { cluster: null, skip: database.skip };
  if (process.env.HANDSET_TEST_ALLOW_PG_RESTART !== '1') {
    const reason = 'HANDSET_TEST_ALLOW_PG_RESTART is not 1: this test stops and restarts the local PostgreSQL service';
    if (process.env.CI) throw new Error(`${reason}; CI must run it (npm test sets it under CI)`);
    return { cluster: null, skip: reason };
  }
  const cluster = localCluster(database.url!);
  if (typeof cluster === 'string') {
    if (process.env.CI) throw new Error(`cannot control PostgreSQL: ${cluster}`);
    return { cluster: null, skip: cluster };
  }
  return { cluster, skip: false };
}

const { cluster, skip } = findCluster();

function pgctlArgs(action: 'start' | 'stop' | 'restart'): string[] {
  const args = ['--skip-systemctl-redirect', cluster!.version, cluster!.name, action];
  if (action !== 'start') args.push('-m', 'fast');
  return args;
}

/** Runs pg_ctlcluster, blocking; `start` returns once the server accepts connections. */
function pgctl(action: 'start' | 'stop'): void {
  execFileSync('pg_ctlcluster', pgctlArgs(action), { stdio: 'ignore', timeout: 60_000 });
}

/** Restarts the cluster without blocking this process (the load keeps running meanwhile). */
async function pgRestart(): Promise<void> {
  await promisify(execFile)('pg_ctlcluster', pgctlArgs('restart'), { timeout: 60_000 });
}

function pgIsOnline(): boolean {
  return typeof localCluster(database.url!) !== 'string';
}

async function until(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function readyz(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.json() };
}

function assertUnavailable(status: number, body: unknown, what: string): void {
  assert.equal(status, 503, `${what} is not a 503: ${status} ${JSON.stringify(body)}`);
  assert.deepEqual(Object.keys(body as object).sort(), ['code', 'message'], what);
  assert.equal((body as { code: number }).code, ApiError.UNAVAILABLE.code, what);
}

type Phase = 'before' | 'down' | 'after';

/** One HTTP step of a flow: status 0 when the connection failed (no HTTP answer at all). */
interface Step {
  step: string;
  status: number;
  body: unknown;
  /** The phase when the request was sent. */
  phase: Phase;
  sentAt: number;
}

interface Bound {
  correlationId: string;
  deviceId: string;
  /** When the flow started. */
  phase: Phase;
}

/** Customer-supplied flows run back to back by `workers` loops, alternating between two instances. */
class FlowLoad {
  phase: Phase = 'before';
  readonly steps: Step[] = [];
  readonly bound: Bound[] = [];
  readonly backends: readonly [Backend, Backend];
  #running = true;
  readonly #done: Promise<unknown>;

  constructor(backends: readonly [Backend, Backend], workers: number) {
    this.backends = backends;
    this.#done = Promise.all(Array.from({ length: workers }, (_, id) => this.#worker(id, workers)));
    void this.#done.catch(() => {}); // a failed flow stops the loops; stop() reports it
  }

  get running(): boolean {
    return this.#running;
  }

  failures(phase?: Phase): Step[] {
    return this.steps.filter((s) => s.status !== 200 && (phase === undefined || s.phase === phase));
  }

  boundIn(phase: Phase): number {
    return this.bound.filter((b) => b.phase === phase).length;
  }

  /** Stops the loops; rejects with the first assertion a flow failed. */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#done;
  }

  async #send<T>(step: string, request: () => Promise<Reply<T>>): Promise<T | null> {
    const phase = this.phase;
    const sentAt = Date.now();
    let reply: Reply<T> | { status: 0; body: string };
    try {
      reply = await request();
    } catch (error) {
      reply = { status: 0, body: String((error as Error).cause ?? error) };
    }
    this.steps.push({ step, status: reply.status, body: reply.body, phase, sentAt });
    return reply.status === 200 ? (reply.body as T) : null;
  }

  /** Unify on one instance, register on the other, bind on the first. */
  async #flow(n: number): Promise<void> {
    const [here, there] = n % 2 === 0 ? this.backends : [this.backends[1], this.backends[0]];
    const startedIn = this.phase;
    const body = { possessionType: 'none', phoneNumber: PHONE, clientRequestId: `outage-${n}` };
    const started = await this.#send('unify', () => here.post<{ correlationId: string; authToken: string }>('/v3/unify', body));
    if (!started) return;
    const key = new DeviceKey();
    const registered = await this.#send('register', () => new ProtocolClient(started.authToken, there.url).register(key));
    if (!registered) return;
    const bind = await this.#send('bind', () => here.post<UnifyResult>('/v3/unify-bind', { correlationId: started.correlationId, phoneNumber: PHONE }));
    if (!bind) return;
    assert.equal(bind.success, 'true', JSON.stringify(bind));
    this.bound.push({ correlationId: started.correlationId, deviceId: registered.data!.deviceId as string, phase: startedIn });
  }

  async #worker(id: number, workers: number): Promise<void> {
    for (let n = id; this.#running; n += workers) {
      try {
        await this.#flow(n);
      } catch (error) {
        this.#running = false;
        throw error;
      }
      if (this.phase === 'down') await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Every bind that answered "true" is still there, read through the other instance. */
  async assertNothingLost(): Promise<void> {
    for (const [i, { correlationId, deviceId }] of this.bound.entries()) {
      const status = await this.backends[i % 2 === 0 ? 1 : 0].status(correlationId);
      assert.equal(status.success, 'true', `bind ${correlationId} was lost`);
      assert.equal(status.deviceId, deviceId);
    }
  }
}

/** A desktop waiting on `waitOn` for an Instant Link, and the link's path, read on `other`. */
async function waitingDesktop(backend: Backend, waitOn: Instance, other: Instance): Promise<{ socket: StatusSocket; linkPath: string }> {
  const waiting = await backend.unify({ possessionType: 'desktop', phoneNumber: PHONE, finalTargetUrl: TARGET });
  const desktop = new ProtocolClient(waiting.authToken!, waitOn.url);
  const socket = await desktop.openStatusSocket();
  await desktop.instantLinkStart();
  const { linkPath } = await latestSms(other.url, PHONE);
  return { socket, linkPath: linkPath! };
}

/** The desktop's socket stayed open through the outage; the phone opens the link now. */
async function assertDesktopReleased(desktop: { socket: StatusSocket; linkPath: string }, phoneOn: Instance): Promise<void> {
  assert.equal(desktop.socket.messages.length, 0);
  assert.equal((await fetch(phoneOn.url + desktop.linkPath, { redirect: 'manual' })).status, 302);
  assert.deepEqual(JSON.parse(await desktop.socket.next(10_000)), { next: 'done' });
  desktop.socket.close();
}

describe('losing PostgreSQL under load and getting it back', { skip }, () => {
  let scratch: ScratchSchema;
  let a: Instance;
  let b: Instance;
  let onA: Backend;
  let onB: Backend;

  before(async () => {
    scratch = await createScratchSchema(database.url!, 'hs_multi');
    [a, b] = await Promise.all([startInstance(scratch.url), startInstance(scratch.url)]);
    const credentials = await createClientWithCli(scratch.url);
    onA = new Backend(a.url, credentials.clientId, credentials.clientSecret);
    onB = new Backend(b.url, credentials.clientId, credentials.clientSecret);
    await Promise.all([onA.token(), onB.token()]);
  });

  after(async () => {
    if (cluster && !pgIsOnline()) pgctl('start');
    await Promise.all([a?.stop(), b?.stop()]);
    await scratch?.drop();
  });

  const anyExited = (): boolean => [a, b].some((i) => i.process.exitCode !== null || i.process.signalCode !== null);
  const assertBothAlive = (): void => {
    for (const instance of [a, b]) {
      assert.equal(instance.process.exitCode, null, `an instance exited:\n${instance.output()}`);
      assert.equal(instance.process.signalCode, null, `an instance was killed:\n${instance.output()}`);
    }
  };

  it('fails with 503 while it is down, recovers by itself, and loses no bind that said "true"', async () => {
    const desktop = await waitingDesktop(onA, a, b);
    const load = new FlowLoad([onA, onB], 4);
    try {
      await until(() => load.bound.length >= 5 || !load.running || load.failures().length > 0, 'binds before the outage', 60_000);
      assert.deepEqual(load.failures(), [], 'no failures before the outage');

      load.phase = 'down';
      pgctl('stop');
      await until(() => load.failures('down').length >= 4 || !load.running, '503s while the database is down', 30_000);
      for (const instance of [a, b]) {
        const ready = await readyz(instance.url);
        assertUnavailable(ready.status, ready.body, 'readiness while the database is down');
      }

      pgctl('start');
      load.phase = 'after';
      await until(async () => (await readyz(a.url)).status === 200 && (await readyz(b.url)).status === 200, 'readiness after the restart', 60_000);
      await until(() => load.boundIn('after') >= 5 || !load.running, 'binds after the restart', 60_000);
    } finally {
      if (!pgIsOnline()) pgctl('start');
      await load.stop();
    }

    assert.ok(load.failures('down').length > 0, 'requests failed while the database was down');
    for (const failure of load.failures()) assertUnavailable(failure.status, failure.body, `${failure.step} (${failure.phase})`);
    assert.ok(load.boundIn('after') >= 5, 'requests succeed again after the restart, without restarting Handset');
    await load.assertNothingLost();
    await assertDesktopReleased(desktop, b);
    assertBothAlive();
  });

  it('survives a restart under load: no exit, only 503s, every request after it succeeds, no bind lost', async (t: TestContext) => {
    const desktop = await waitingDesktop(onB, b, a);
    // Enough flows in flight that both pools hold connections mid-transaction when the server goes.
    const load = new FlowLoad([onA, onB], 16);
    const readiness: Array<{ status: number; body: unknown; phase: Phase }> = [];
    let polling = true;
    const poll = (async () => {
      while (polling) {
        for (const instance of [a, b]) {
          const phase = load.phase;
          const ready = await readyz(instance.url).catch((error: unknown) => ({ status: 0, body: String(error) }));
          readiness.push({ ...ready, phase });
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    let restartMs = 0;
    let backAt = 0;
    try {
      await until(() => load.bound.length >= 10 || !load.running || load.failures().length > 0, 'binds before the restart', 60_000);
      assert.deepEqual(load.failures(), [], 'no failures before the restart');

      load.phase = 'down';
      const restartAt = Date.now();
      await pgRestart();
      backAt = Date.now();
      restartMs = backAt - restartAt;
      load.phase = 'after';
      await until(() => load.boundIn('after') >= 10 || !load.running || anyExited(), 'binds after the restart', 60_000);
    } finally {
      polling = false;
      if (!pgIsOnline()) pgctl('start');
      await load.stop();
      await poll;
    }

    const unavailable = load.failures('down');
    const sent = (steps: Step[]): number[] => steps.map((s) => s.sentAt).sort((x, y) => x - y);
    const refusedAt = sent(unavailable);
    const firstBack = sent(load.steps.filter((s) => s.status === 200 && s.sentAt > (refusedAt.at(-1) ?? 0)))[0];
    t.diagnostic(
      `restart took ${restartMs} ms; ${load.steps.filter((s) => s.phase === 'down').length} requests sent meanwhile, ` +
        `${unavailable.length} answered 503 (sent over ${(refusedAt.at(-1) ?? 0) - (refusedAt[0] ?? 0)} ms), ` +
        `${load.failures().filter((f) => f.status === 0).length} lost their connection; ` +
        `first success ${firstBack === undefined ? '?' : firstBack - (refusedAt.at(-1) ?? 0)} ms after the last 503, ` +
        `${firstBack === undefined ? '?' : firstBack - backAt} ms from the restart's return; ` +
        `readyz 503 seen ${readiness.filter((r) => r.status === 503).length} times`,
    );
    assertBothAlive();
    assert.ok(unavailable.length > 0, 'requests were refused while the database restarted');
    for (const failure of load.failures()) assertUnavailable(failure.status, failure.body, `${failure.step} (${failure.phase})`);
    assert.deepEqual(load.failures('after'), [], 'every request sent after the restart succeeds');
    for (const ready of readiness.filter((r) => r.status !== 200)) assertUnavailable(ready.status, ready.body, `readiness (${ready.phase})`);
    assert.ok(readiness.some((r) => r.status === 503), 'readiness said 503 during the restart');
    assert.deepEqual(readiness.filter((r) => r.phase === 'after' && r.status !== 200), [], 'ready once the database is back');
    await load.assertNothingLost();
    await assertDesktopReleased(desktop, a);
  });
});
