/**
 * Losing the database under load and getting it back: two `handset serve` processes run
 * customer-supplied bind flows continuously while the machine's PostgreSQL service is stopped
 * and started again. While it is down every failure is a clean 503 `{code: 8013, message}` and
 * `/readyz` says 503; afterwards requests succeed again with no restart of Handset, a desktop
 * that waited on A through the outage is released when the phone opens its link on B, and every
 * bind that answered "true" is still there.
 *
 * It stops the local PostgreSQL service, so it runs only when allowed:
 * `HANDSET_TEST_ALLOW_PG_RESTART=1` (npm test sets it under `CI`), a database on this machine,
 * and `pg_ctlcluster` available. The service is started again in a `finally`, whatever happens.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { ApiError, type UnifyResult } from '@handset/protocol';
import { createScratchSchema, type ScratchSchema } from '../../src/store/scratch-schema.js';
import { DeviceKey } from '../support/device-key.js';
import { createClientWithCli, latestSms, multiInstanceDatabase, startInstance, type Instance } from '../support/instances.js';
import { ProtocolClient, type Reply } from '../support/protocol-client.js';
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

function pgctl(action: 'start' | 'stop'): void {
  const args = ['--skip-systemctl-redirect', cluster!.version, cluster!.name, action];
  if (action === 'stop') args.push('-m', 'fast');
  execFileSync('pg_ctlcluster', args, { stdio: 'ignore', timeout: 60_000 });
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

type Phase = 'before' | 'down' | 'after';

interface Failure {
  step: string;
  status: number;
  body: unknown;
  phase: Phase;
}

interface Bound {
  correlationId: string;
  deviceId: string;
  /** When the flow started. */
  phase: Phase;
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

  it('fails with 503 while it is down, recovers by itself, and loses no bind that said "true"', async () => {
    const bound: Bound[] = [];
    const failures: Failure[] = [];
    let phase: Phase = 'before';
    const boundAfterRestart = (): number => bound.filter((x) => x.phase === 'after').length;
    const failuresWhileDown = (): number => failures.filter((f) => f.phase === 'down').length;
    let running = true;

    /** One customer-supplied flow: unify on one instance, register on the other, bind on the first. */
    const flow = async (n: number): Promise<void> => {
      const [here, there] = n % 2 === 0 ? [onA, onB] : [onB, onA];
      const startedIn = phase;
      const check = <T>(step: string, reply: Reply<T>): T | null => {
        if (reply.status === 200) return reply.body;
        failures.push({ step, status: reply.status, body: reply.body, phase });
        return null;
      };
      const started = check('unify', await here.post<{ correlationId: string; authToken: string }>('/v3/unify', { possessionType: 'none', phoneNumber: PHONE, clientRequestId: `outage-${n}` }));
      if (!started) return;
      const key = new DeviceKey();
      const device = new ProtocolClient(started.authToken, there.url);
      const registered = check('register', await device.register(key));
      if (!registered) return;
      const bind = check('bind', await here.post<UnifyResult>('/v3/unify-bind', { correlationId: started.correlationId, phoneNumber: PHONE }));
      if (!bind) return;
      assert.equal(bind.success, 'true', JSON.stringify(bind));
      bound.push({ correlationId: started.correlationId, deviceId: registered.data!.deviceId as string, phase: startedIn });
    };

    const worker = async (id: number): Promise<void> => {
      for (let n = id; running; n += 4) {
        try {
          await flow(n);
        } catch (error) {
          running = false;
          throw error;
        }
        if (phase === 'down') await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    // A desktop waiting on A through the whole outage.
    const waiting = await onA.unify({ possessionType: 'desktop', phoneNumber: PHONE, finalTargetUrl: TARGET });
    const desktop = new ProtocolClient(waiting.authToken!, a.url);
    const socket = await desktop.openStatusSocket();
    await desktop.instantLinkStart();
    const { linkPath } = await latestSms(b.url, PHONE);

    const workers = Promise.all([0, 1, 2, 3].map(worker));
    try {
      await until(() => bound.length >= 5 || !running || failures.length > 0, 'binds before the outage', 60_000);
      assert.equal(failures.length, 0, `no failures before the outage: ${JSON.stringify(failures)}`);

      phase = 'down';
      pgctl('stop');
      await until(() => failuresWhileDown() >= 4 || !running, '503s while the database is down', 30_000);
      for (const instance of [a, b]) {
        const ready = await readyz(instance.url);
        assert.equal(ready.status, 503, 'readiness reflects the lost database');
        assert.deepEqual(Object.keys(ready.body as object).sort(), ['code', 'message']);
        assert.equal((ready.body as { code: number }).code, ApiError.UNAVAILABLE.code);
      }

      pgctl('start');
      phase = 'after';
      await until(async () => (await readyz(a.url)).status === 200 && (await readyz(b.url)).status === 200, 'readiness after the restart', 60_000);
      await until(() => boundAfterRestart() >= 5 || !running, 'binds after the restart', 60_000);
    } finally {
      running = false;
      if (!pgIsOnline()) pgctl('start');
    }
    await workers;

    assert.ok(failuresWhileDown() > 0, 'requests failed while the database was down');
    for (const failure of failures) {
      assert.equal(failure.status, 503, `a failure that is not a 503: ${JSON.stringify(failure)}`);
      assert.deepEqual(Object.keys(failure.body as object).sort(), ['code', 'message']);
      assert.equal((failure.body as { code: number }).code, ApiError.UNAVAILABLE.code);
    }
    assert.ok(boundAfterRestart() >= 5, 'requests succeed again after the restart, without restarting Handset');

    // Every bind that answered "true" is still there, read through either instance.
    for (const [i, { correlationId, deviceId }] of bound.entries()) {
      const status = await (i % 2 === 0 ? onB : onA).status(correlationId);
      assert.equal(status.success, 'true', `bind ${correlationId} was lost`);
      assert.equal(status.deviceId, deviceId);
    }

    // The desktop's socket on A stayed open through the outage; the phone opens the link on B now.
    assert.equal(socket.messages.length, 0);
    assert.equal((await fetch(b.url + linkPath!, { redirect: 'manual' })).status, 302);
    assert.deepEqual(JSON.parse(await socket.next(10_000)), { next: 'done' });
    socket.close();
  });
});
