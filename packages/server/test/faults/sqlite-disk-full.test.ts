/**
 * SQLite on a full disk: writes answer 503 `{code: 8013, message}` with `Retry-After: 1` (never
 * 500), reads keep working, the process stays up, a flow in flight finishes once space is back,
 * no write that answered 200 is lost, and `PRAGMA integrity_check` says ok afterwards.
 *
 * The disk is a real one when it can be: a 4 MB tmpfs mounted for the test (root only) and filled
 * with a file until ENOSPC. Elsewhere (no root, or a container that may not mount) the database
 * is capped with `PRAGMA max_page_count` at its current size, which raises the same SQLITE_FULL
 * from SQLite's own page allocator instead of from the file system.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { ApiError, type UnifyResult } from '@handset/protocol';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { startTestServer, testDatabaseUrl, type TestServer } from '../../src/testing.js';
import { DeviceKey } from '../support/device-key.js';
import { ProtocolClient, postJson, type Reply } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';

const PHONE = '+12025550177';

interface DiskFault {
  /** How the disk is filled, for the test's diagnostics. */
  how: string;
  dir: string;
  fill(server: TestServer): Promise<void>;
  free(server: TestServer): Promise<void>;
  dispose(): void;
}

/** A 4 MB tmpfs filled with one file until ENOSPC, or null when this process may not mount one. */
function tmpfsFault(): DiskFault | null {
  if (process.getuid?.() !== 0) return null;
  const dir = mkdtempSync(join(tmpdir(), 'handset-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  const filler = join(dir, 'filler');
  return {
    how: 'a 4 MB tmpfs, filled',
    dir,
    async fill() {
      for (const size of [65536, 4096, 512, 1]) {
        try {
          for (;;) writeFileSync(filler, Buffer.alloc(size), { flag: 'a' });
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        }
      }
    },
    async free() {
      rmSync(filler, { force: true });
    },
    dispose() {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The database capped at its current number of pages. */
function pageCapFault(): DiskFault {
  const dir = mkdtempSync(join(tmpdir(), 'handset-full-'));
  return {
    how: 'PRAGMA max_page_count (no tmpfs: not root, or mounting is not allowed here)',
    dir,
    async fill(server) {
      // Asks for the smallest cap possible: SQLite raises it to the current page count.
      await sql`pragma max_page_count = 1`.execute(server.server.deps.db.kysely);
    },
    async free(server) {
      await sql`pragma max_page_count = 1073741823`.execute(server.server.deps.db.kysely);
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A 503 `{code: 8013, message}`; `retryAfter` is the header when the caller kept it. */
function assertUnavailable(reply: Reply<unknown>, what: string, retryAfter?: string | null): void {
  assert.equal(reply.status, 503, `${what}: ${reply.status} ${JSON.stringify(reply.body)}`);
  assert.deepEqual(Object.keys(reply.body as object).sort(), ['code', 'message'], what);
  assert.equal((reply.body as { code: number }).code, ApiError.UNAVAILABLE.code, what);
  if (retryAfter !== undefined) assert.equal(retryAfter, '1', `${what}: Retry-After`);
}

describe('SQLite on a full disk', { skip: testDatabaseUrl() ? 'SQLite only: the PostgreSQL pass has its own outage tests' : false }, () => {
  let fault: DiskFault;
  let server: TestServer;
  let backend: Backend;
  let file: string;

  before(async () => {
    fault = tmpfsFault() ?? pageCapFault();
    file = join(fault.dir, 'handset.db');
    server = await startTestServer({ databaseUrl: file });
    backend = Backend.of(server);
    await backend.token();
  });

  after(async () => {
    await server?.close();
    fault?.dispose();
  });

  /** POST /v3/unify with the response headers (Retry-After) kept. */
  const unify = async (n: number): Promise<{ reply: Reply<{ correlationId: string }>; retryAfter: string | null }> => {
    const response = await fetch(`${server.url}/v3/unify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await backend.token()}` },
      body: JSON.stringify({ possessionType: 'none', phoneNumber: PHONE, clientRequestId: `full-${n}` }),
    });
    return { reply: { status: response.status, body: (await response.json()) as { correlationId: string } }, retryAfter: response.headers.get('retry-after') };
  };

  it('answers writes with 503 while the disk is full, keeps reading, and resumes intact once space is back', async (t: TestContext) => {
    const acknowledged: string[] = [];
    for (let n = 0; n < 5; n++) {
      const { reply } = await unify(n);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      acknowledged.push(reply.body.correlationId);
    }
    // A flow in flight: started before the disk fills, its device registered after.
    const inFlight = await backend.unify({ possessionType: 'none', phoneNumber: PHONE });
    const device = new ProtocolClient(inFlight.authToken!, server.url);
    const key = new DeviceKey();

    await fault.fill(server);
    // Writes that still fit in pages already allocated succeed; keep writing until the disk says no.
    let refused = 0;
    let n = 5;
    while (refused < 10) {
      assert.ok(n < 5000, 'the database never filled up');
      const { reply, retryAfter } = await unify(n++);
      if (reply.status === 200) acknowledged.push(reply.body.correlationId);
      else {
        assertUnavailable(reply, 'a write on a full disk', retryAfter);
        refused += 1;
      }
    }
    // The device step writes too: refused like the rest, unless its rows fit in pages already there.
    const register = await device.register(key);
    if (register.status !== 200) assertUnavailable(register, 'a client-protocol write on a full disk');
    const status = await postJson<UnifyResult>(`${server.url}/v3/unify-status`, { correlationId: acknowledged[0] }, { authorization: `Bearer ${await backend.token()}` });
    assert.equal(status.status, 200, `reads keep working: ${JSON.stringify(status.body)}`);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);

    await fault.free(server);
    const { reply: again } = await unify(n++);
    assert.equal(again.status, 200, `the first write once space is back: ${JSON.stringify(again.body)}`);
    acknowledged.push(again.body.correlationId);
    if (register.status !== 200) assert.equal((await device.register(key)).status, 200, 'the device step once space is back');
    const bound = await backend.bind(inFlight.correlationId, PHONE);
    assert.equal(bound.body.success, 'true', JSON.stringify(bound.body));
    for (const correlationId of acknowledged) await backend.status(correlationId); // 400 8008 (thrown) if it were lost
    t.diagnostic(`${fault.how}: ${n - 5 - refused - 1} writes fitted after filling, then ${refused} answered 503; the device step answered ${register.status}; ${acknowledged.length} sessions acknowledged`);

    await server.close();
    const db = new SQLite(file, { readonly: true });
    try {
      assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
      const stored = db.prepare('select correlation_id from sessions').pluck().all() as string[];
      for (const correlationId of acknowledged) assert.ok(stored.includes(correlationId), `session ${correlationId} was lost`);
    } finally {
      db.close();
    }
  });
});
