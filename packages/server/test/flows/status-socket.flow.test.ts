/**
 * The status socket's deadlines run on the injected clock: with a ManualClock, moving time past
 * the Instant Link's lifetime or the session's pushes the expiry to the waiting desktop at once.
 * And a socket that closes while its first lookup is in flight leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import type { KyselyPlugin } from 'kysely';
import { MemoryEventBus } from '../../src/events/event-bus.js';
import { ManualClock } from '../../src/ports/clock.js';
import { migrateToLatest, openDatabase, type Db } from '../../src/store/database.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend, latestMessage } from '../support/server-api.js';

const PHONE = '+12025550131';
const TARGET = 'https://shop.example.com/verified';
const LINK_TTL_MS = 300_000;
const SESSION_TTL_MS = 15 * 60_000;

/** Waits (in real time) until `condition` holds, or fails after `timeoutMs`. */
async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(5);
  }
}

// Every wait here is bounded: a hang fails its own test in a minute, naming it (not the whole file after ten).
const BOUNDED = { timeout: 60_000 };

describe('status socket deadlines on a ManualClock', BOUNDED, () => {
  const clock = new ManualClock(Date.parse('2030-01-01T00:00:00Z'));
  let server: TestServer;
  let backend: Backend;
  before(async () => {
    server = await startTestServer({ overrides: { clock } });
    backend = Backend.of(server);
  });
  after(() => server.close());

  /** A desktop session and its client, with the socket open and its deadline armed. */
  async function waitingDesktop(sendLink: boolean) {
    const started = await backend.unify({ possessionType: 'desktop', phoneNumber: PHONE, finalTargetUrl: TARGET });
    const client = new ProtocolClient(started.authToken!);
    if (sendLink) await client.instantLinkStart();
    const socket = await client.openStatusSocket();
    await until(() => clock.pendingTimers === 1, "the socket's deadline is armed on the clock");
    return { started, socket };
  }

  it('an Instant Link never opened: the desktop is told it expired, status is false, the link page is 410', async () => {
    const { started, socket } = await waitingDesktop(true);
    const { link } = await latestMessage(server, PHONE);

    clock.advance(LINK_TTL_MS - 1);
    assert.equal(clock.pendingTimers, 1, 'not due yet');
    clock.advance(1);
    assert.deepEqual(JSON.parse(await socket.next()), {
      next: 'done',
      error: { code: 10001, message: 'The Instant Link expired before it was opened.' },
    });
    assert.equal(clock.pendingTimers, 0);
    socket.close();
    assert.equal((await backend.status(started.correlationId)).success, 'false');

    const opened = await fetch(link!, { redirect: 'manual' });
    assert.equal(opened.status, 410);
    assert.match(opened.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await opened.text(), /Link expired/);
  });

  it('a session that runs out while the socket waits: the desktop is told the session ended, status is false', async () => {
    const { started, socket } = await waitingDesktop(false);

    clock.advance(SESSION_TTL_MS - 1);
    assert.equal(clock.pendingTimers, 1, 'not due yet');
    clock.advance(1);
    assert.deepEqual(JSON.parse(await socket.next()), {
      next: 'done',
      error: { code: 10001, message: 'The authentication session has ended.' },
    });
    assert.equal(clock.pendingTimers, 0);
    socket.close();
    assert.equal((await backend.status(started.correlationId)).success, 'false');
  });
});

/** A MemoryEventBus that counts the subscriptions still in place. */
class CountingBus extends MemoryEventBus {
  active = 0;
  override subscribe(correlationId: string, handler: () => void): () => void {
    const off = super.subscribe(correlationId, handler);
    this.active += 1;
    let subscribed = true;
    return () => {
      if (subscribed) this.active -= 1;
      subscribed = false;
      off();
    };
  }
}

// Its own SQLite database (slowed on demand), so it runs on SQLite in both passes: the race is
// in the socket's code, not in the database.
describe('status socket closed while its first lookup is in flight', BOUNDED, () => {
  const bus = new CountingBus();
  const clock = new ManualClock();
  let lookupDelayMs = 0;
  let inFlight = 0;
  /** Holds every query result back for `lookupDelayMs`, so a socket can close during its lookup. */
  const slow: KyselyPlugin = {
    transformQuery: (args) => args.node,
    transformResult: async (args) => {
      if (lookupDelayMs > 0) {
        inFlight += 1;
        await sleep(lookupDelayMs);
        inFlight -= 1;
      }
      return args.result;
    },
  };
  let base: Db;
  let server: TestServer;
  before(async () => {
    base = openDatabase(':memory:');
    const db: Db = { ...base, kysely: base.kysely.withPlugin(slow) };
    await migrateToLatest(db);
    server = await startTestServer({ overrides: { bus, clock, db } });
  });
  after(async () => {
    await server.close();
    await base.close();
  });

  it('leaves no subscription and no timer behind', async () => {
    const started = await Backend.of(server).unify({ possessionType: 'desktop', phoneNumber: PHONE, finalTargetUrl: TARGET });
    const client = new ProtocolClient(started.authToken!);

    const open = await client.openStatusSocket();
    await until(() => bus.active === 1, 'a waiting socket has subscribed');
    open.close();
    await until(() => bus.active === 0, 'a closed socket has unsubscribed');

    lookupDelayMs = 50;
    for (let i = 0; i < 10; i++) (await client.openStatusSocket()).close();
    await until(() => inFlight === 0, 'every lookup finished');
    lookupDelayMs = 0;
    await until(() => bus.active === 0 && clock.pendingTimers === 0, 'the sockets let go', 1000).catch(() => {});
    assert.equal(bus.active, 0, 'subscriptions left behind');
    assert.equal(clock.pendingTimers, 0, 'deadline timers left behind');
  });
});

// A change committed after the socket's first read but announced before it subscribed: the read
// saw the session still waiting, and the event reached no one. The socket must not then wait for
// its 15 s safety re-check (a desktop left hanging; seen in two-instance runs of bench:flows).
// The window is made deterministic: the first subscription of the bus first commits the change
// from another connection to the same SQLite file and announces it, to no one yet.
class ChangeBeforeFirstSubscribeBus extends MemoryEventBus {
  beforeFirstSubscribe: ((correlationId: string) => void) | null = null;
  override subscribe(correlationId: string, handler: () => void): () => void {
    const hook = this.beforeFirstSubscribe;
    this.beforeFirstSubscribe = null;
    hook?.(correlationId);
    return super.subscribe(correlationId, handler);
  }
}

describe('status socket: a change announced between its first read and its subscription', BOUNDED, () => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-socket-race-'));
  const file = join(dir, 'handset.db');
  const bus = new ChangeBeforeFirstSubscribeBus();
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ databaseUrl: file, overrides: { bus } });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the desktop is released at once, not after the safety re-check', async () => {
    const started = await Backend.of(server).unify({ possessionType: 'desktop', phoneNumber: PHONE, finalTargetUrl: TARGET });
    const client = new ProtocolClient(started.authToken!);
    await client.instantLinkStart();
    let announced = false;
    bus.beforeFirstSubscribe = (correlationId) => {
      const other = new SQLite(file);
      try {
        const changed = other.prepare(`update sessions set state = 'succeeded' where correlation_id = ? and state = 'link_sent'`).run(correlationId);
        assert.equal(changed.changes, 1, 'the session was waiting for its link');
      } finally {
        other.close();
      }
      void bus.publish({ correlationId });
      announced = true;
    };

    const socket = await client.openStatusSocket();
    assert.deepEqual(JSON.parse(await socket.next(5000)), { next: 'done' });
    assert.ok(announced, 'the change came between the read and the subscription');
    socket.close();
  });
});
