/**
 * The query pool on a real PostgreSQL when the server ends its connections, as a restart or an
 * administrator does (57P01). A connection a transaction holds between two statements is the case
 * that once killed the process: pg emits 'error' on that client, and pg-pool listens only on idle
 * ones. Only this test's own connections are ended (its own application_name), so it is safe
 * next to other tests on the same server.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { isDatabaseUnavailable } from '../../src/http/database-errors.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { isFromDatabase } from '../../src/store/driver-errors.js';
import type { Executor } from '../../src/store/executor.js';
import { createScratchSchema, type ScratchSchema } from '../../src/store/scratch-schema.js';
import { multiInstanceDatabase } from '../support/instances.js';

const database = multiInstanceDatabase();

describe('the PostgreSQL pool when the server ends its connections', { skip: database.skip }, () => {
  const name = `hs_pool_test_${randomBytes(4).toString('hex')}`;
  let scratch: ScratchSchema;
  let db: Db;
  let admin: pg.Client;

  before(async () => {
    scratch = await createScratchSchema(database.url!, 'hs_pool');
    const url = new URL(scratch.url);
    url.searchParams.set('application_name', name);
    db = openDatabase(url.toString());
    admin = new pg.Client({ connectionString: database.url! });
    await admin.connect();
  });

  after(async () => {
    await db?.close();
    await admin?.end();
    await scratch?.drop();
  });

  const backendPid = async (on: Executor): Promise<number> =>
    (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(on)).rows[0]!.pid;

  /** Ends the given backends (or all of this test's) and returns once the server has let them go. */
  const endBackends = async (pids?: number[]): Promise<number> => {
    const filter = pids ? 'pid = any($2::int[])' : 'true';
    const { rowCount } = await admin.query(
      `select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and ${filter}`,
      pids ? [name, pids] : [name],
    );
    for (;;) {
      const { rows } = await admin.query('select count(*)::int as n from pg_stat_activity where application_name = $1', [name]);
      if (rows[0].n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // One more round trip, so this process has read the closed sockets before going on.
    await admin.query('select 1');
    return rowCount ?? 0;
  };

  it('a connection ended while a transaction holds it fails that transaction as "unavailable"; the process lives on; the next query gets a new connection', async () => {
    let held = 0;
    const failure = await db.kysely
      .transaction()
      .execute(async (trx) => {
        held = await backendPid(trx);
        await endBackends([held]);
        await sql`select 1`.execute(trx);
      })
      .then(
        () => null,
        (error: unknown) => error,
      );
    assert.ok(failure, 'the transaction failed');
    assert.ok(isDatabaseUnavailable(failure), `an "unavailable" error (503): ${String(failure)}`);
    assert.ok(isFromDatabase(failure));
    assert.notEqual(await backendPid(db.kysely), held);
  });

  it('idle connections ended by the server leave the pool: every next query succeeds', async () => {
    await Promise.all(Array.from({ length: 6 }, () => sql`select pg_sleep(0.05)`.execute(db.kysely)));
    assert.ok((await endBackends()) >= 2, 'the pool held several idle connections');
    const results = await Promise.all(Array.from({ length: 10 }, () => sql<{ one: number }>`select 1 as one`.execute(db.kysely)));
    assert.deepEqual(
      results.map((r) => r.rows[0]!.one),
      Array(10).fill(1),
    );
  });
});
