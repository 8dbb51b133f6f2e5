/**
 * Group commit: a failing write rejects only its own caller, the rest of its batch commits, and
 * every caller resumes only once its write has committed. Runs on a SQLite file (where a second
 * connection checks, the moment a caller resumes, that its row is committed) and on the database
 * of a test server from startTestServer: in-memory SQLite, or a fresh PostgreSQL schema in the
 * PostgreSQL pass (where a failed statement aborts the whole transaction).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { migrateToLatest, openDatabase, type Db } from '../../src/store/database.js';
import { GroupCommit } from '../../src/store/group-commit.js';
import type { Database } from '../../src/store/schema.js';
import { startTestServer, type TestServer } from '../../src/testing.js';

const message = (id: string) => ({ id, client_id: null, to_e164: '+12025550100', body: `body ${id}`, sent_at: 0 });

/** SQLite's and PostgreSQL's codes for a primary key violation. */
const DUPLICATE_KEY = /^(SQLITE_CONSTRAINT_PRIMARYKEY|23505)$/;

/** Checks, from outside the writing transaction, whether a row is committed. */
type Committed = (id: string) => boolean | Promise<boolean>;

function behavesAsOneCommitPerWrite(open: () => Promise<{ db: Kysely<Database>; committed: Committed }>): void {
  let db: Kysely<Database>;
  let committed: Committed;
  before(async () => ({ db, committed } = await open()));

  const stored = async (prefix: string): Promise<string[]> =>
    (await db.selectFrom('sms_outbox').select('id').where('id', 'like', `${prefix}%`).orderBy('id').execute()).map((r) => r.id);

  /** Queues one insert per id in the same turn (one batch); each result says whether its row was committed when its caller resumed. */
  const insertAll = (ids: string[]) => {
    const group = new GroupCommit(db);
    return Promise.allSettled(
      ids.map((id) =>
        group
          .run(async (trx) => {
            await trx.insertInto('sms_outbox').values(message(id)).execute();
          })
          .then(() => committed(id)),
      ),
    );
  };

  it('a batch of 10 with one duplicate key: 9 commit and resolve after their commit, 1 rejects with the database error', async () => {
    await db.insertInto('sms_outbox').values(message('a-taken')).execute();
    const ids = Array.from({ length: 10 }, (_, i) => (i === 6 ? 'a-taken' : `a-${i}`));
    const results = await insertAll(ids);
    results.forEach((result, i) => {
      if (i === 6) {
        assert.equal(result.status, 'rejected');
        assert.match(String((result as PromiseRejectedResult).reason.code), DUPLICATE_KEY);
      } else {
        assert.deepEqual(result, { status: 'fulfilled', value: true }, `write ${i} resolved after its commit`);
      }
    });
    assert.deepEqual(await stored('a-'), ['a-0', 'a-1', 'a-2', 'a-3', 'a-4', 'a-5', 'a-7', 'a-8', 'a-9', 'a-taken']);
  });

  it('a write that throws fails alone; a batch that succeeds commits every write', async () => {
    const group = new GroupCommit(db);
    const failing = group.run(async (trx) => {
      await trx.insertInto('sms_outbox').values(message('b-failing')).execute();
      throw new Error('the work failed');
    });
    const ok = group.run(async (trx) => {
      await trx.insertInto('sms_outbox').values(message('b-ok')).execute();
    });
    await assert.rejects(failing, /the work failed/);
    await ok;
    assert.deepEqual(await stored('b-'), ['b-ok']);

    const results = await insertAll(['c-0', 'c-1', 'c-2']);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled']);
    assert.deepEqual(await stored('c-'), ['c-0', 'c-1', 'c-2']);
  });
}

describe('group commit on a SQLite file (a second connection watches the commits)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-group-commit-'));
  let database: Db;
  let reader: SQLite.Database;
  after(async () => {
    reader?.close();
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  behavesAsOneCommitPerWrite(async () => {
    database = openDatabase(join(dir, 'handset.db'));
    await migrateToLatest(database);
    reader = new SQLite(join(dir, 'handset.db'), { readonly: true });
    const lookup = reader.prepare('select 1 from sms_outbox where id = ?');
    return { db: database.kysely, committed: (id) => lookup.get(id) !== undefined };
  });
});

describe("group commit on the test server's database (PostgreSQL in the PostgreSQL pass)", () => {
  let server: TestServer;
  after(() => server?.close());
  behavesAsOneCommitPerWrite(async () => {
    server = await startTestServer();
    const { kysely } = server.server.deps.db;
    const committed = async (id: string) =>
      (await kysely.selectFrom('sms_outbox').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
    return { db: kysely, committed };
  });
});
