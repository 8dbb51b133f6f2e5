/**
 * Which failures mean "the database cannot serve us now" (503 8013, retry) and which do not: by
 * PostgreSQL SQLSTATE, SQLite result code, pg's connection messages, and network codes only when
 * the database driver raised them (an HTTP client hanging up raises ECONNRESET too).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { isDatabaseUnavailable } from '../../src/http/database-errors.js';
import { openDatabase } from '../../src/store/database.js';
import { isFromDatabase } from '../../src/store/driver-errors.js';
import type { QueryTiming } from '../../src/store/query-timings.js';

const withCode = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it('PostgreSQL: connection, shutdown, resource, system and read-only failures; not constraint or query errors', () => {
    for (const code of ['57P01', '57P02', '57P03', '08006', '08001', '53100', '53300', '58030', '25006']) {
      assert.equal(isDatabaseUnavailable(withCode(code)), true, code);
    }
    for (const code of ['23505', '40001', '42P01', '22P02', '57014', '25P02']) {
      assert.equal(isDatabaseUnavailable(withCode(code)), false, code);
    }
  });

  it('SQLite: busy, locked, full, I/O, read-only and cannot-open, extended codes included; not constraint errors', () => {
    for (const code of ['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR_WRITE', 'SQLITE_READONLY_DBMOVED', 'SQLITE_CANTOPEN']) {
      assert.equal(isDatabaseUnavailable(withCode(code)), true, code);
    }
    for (const code of ['SQLITE_ERROR', 'SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_MISMATCH', 'SQLITE_FULLX']) {
      assert.equal(isDatabaseUnavailable(withCode(code)), false, code);
    }
  });

  it("pg's words for a lost connection", () => {
    for (const message of [
      'Connection terminated unexpectedly',
      'Connection terminated due to connection timeout',
      'Client has encountered a connection error and is not queryable',
      'timeout exceeded when trying to connect',
    ]) {
      assert.equal(isDatabaseUnavailable(new Error(message)), true, message);
    }
    assert.equal(isDatabaseUnavailable(new Error('aborted')), false);
    for (const value of [null, undefined, 'ECONNRESET', 42, {}]) assert.equal(isDatabaseUnavailable(value), false, String(value));
  });

  it('a network code counts only when the database driver raised it: a client that hangs up mid-body is no database fault', async () => {
    // What Fastify hands the error handler when a client aborts its upload.
    const clientAbort = Object.assign(withCode('ECONNRESET', 'aborted'), { statusCode: 400 });
    assert.equal(isFromDatabase(clientAbort), false);
    assert.equal(isDatabaseUnavailable(clientAbort), false);

    const nowhere = openDatabase('postgres://postgres@127.0.0.1:1/none'); // port 1: refused at once
    try {
      const refused: unknown = await sql`select 1`.execute(nowhere.kysely).then(
        () => null,
        (error: unknown) => error,
      );
      assert.equal((refused as { code?: string } | null)?.code, 'ECONNREFUSED');
      assert.equal(isFromDatabase(refused), true);
      assert.equal(isDatabaseUnavailable(refused), true);
    } finally {
      await nowhere.close();
    }
  });

  it('the driver marks its own errors, not those of the code running inside a transaction', async () => {
    const db = openDatabase(':memory:');
    try {
      const queryError = await sql`select * from nowhere`.execute(db.kysely).then(
        () => null,
        (error: unknown) => error,
      );
      assert.equal(isFromDatabase(queryError), true);
      assert.equal(isDatabaseUnavailable(queryError), false, 'a missing table is a bug, not an outage');

      const ours = withCode('ECONNRESET', 'a peer hung up');
      await assert.rejects(
        db.kysely.transaction().execute(async () => {
          throw ours;
        }),
        (error) => error === ours,
      );
      assert.equal(isFromDatabase(ours), false);
      assert.equal(isDatabaseUnavailable(ours), false);
    } finally {
      await db.close();
    }
  });

  it('one wrapper per connection for its whole life, still marking errors at every use (SQLite and PostgreSQL)', async (t) => {
    for (const url of [':memory:', 'postgres://postgres@127.0.0.1:5432/test']) {
      const db = openDatabase(url);
      try {
        if (url.startsWith('postgres')) {
          const reachable = await sql`select 1`.execute(db.kysely).then(() => true, () => false);
          if (!reachable && !process.env.CI) {
            t.diagnostic('PostgreSQL half skipped: no PostgreSQL at 127.0.0.1:5432 (never skipped under CI)');
            continue;
          }
        }
        const seen = new Set<unknown>();
        for (let i = 0; i < 3; i++) await db.kysely.connection().execute(async (c) => void seen.add(await c.getExecutor().provideConnection(async (conn) => conn)));
        assert.equal(seen.size, 1, `${url}: the same connection object each time`);
        for (let i = 0; i < 2; i++) {
          const error: unknown = await sql`select * from nowhere`.execute(db.kysely).then(() => null, (e: unknown) => e);
          assert.equal(isFromDatabase(error), true, `${url}: use ${i + 1}`);
        }
      } finally {
        await db.close();
      }
    }
  });

  it('the same wrapper times each statement by kind for whoever listens, failures included; transaction control is not timed', async () => {
    const db = openDatabase(':memory:');
    try {
      const timed: QueryTiming[] = [];
      await sql`create table t (id integer primary key, v text)`.execute(db.kysely); // nobody listens yet
      const stop = db.timings.listen((t) => timed.push(t));
      await db.kysely.transaction().execute(async (trx) => {
        await trx.insertInto('t' as never).values({ id: 1, v: 'a' } as never).execute();
        await trx.updateTable('t' as never).set({ v: 'b' } as never).execute();
      });
      await db.kysely.selectFrom('t' as never).selectAll().execute();
      await db.kysely.deleteFrom('t' as never).execute();
      const failed = await sql`select * from nowhere`.execute(db.kysely).then(() => null, (e: unknown) => e);
      assert.equal(isFromDatabase(failed), true, 'a timed statement still marks its error');
      stop();
      await sql`select 1`.execute(db.kysely);
      assert.deepEqual(
        timed.map((t) => [t.kind, t.failed]),
        [['insert', false], ['update', false], ['select', false], ['delete', false], ['other', true]],
        'one timing per statement (no begin or commit), none after the listener stopped',
      );
      for (const t of timed) assert.ok(t.seconds >= 0 && t.seconds < 5, `a duration in seconds: ${t.seconds}`);
    } finally {
      await db.close();
    }
  });
});
