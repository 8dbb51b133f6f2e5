/**
 * Named prepared statements on a real PostgreSQL (store/prepared-statements.ts): the hot
 * statements are prepared once per connection, and a migration that adds a column under a
 * running instance breaks none of its statements (a prepared `select *` would fail with
 * "cached plan must not change result type": it is never named).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { findClient } from '../../src/store/clients-repo.js';
import { migrateToLatest, openDatabase, type Db } from '../../src/store/database.js';
import type { Executor } from '../../src/store/executor.js';
import { statementName } from '../../src/store/prepared-statements.js';
import { createScratchSchema, type ScratchSchema } from '../../src/store/scratch-schema.js';
import { findSessionBy, findSessionTokenId } from '../../src/store/sessions-repo.js';
import { multiInstanceDatabase } from '../support/instances.js';

const database = multiInstanceDatabase();

describe('named prepared statements on PostgreSQL', { skip: database.skip, timeout: 120_000 }, () => {
  let scratch: ScratchSchema;
  let db: Db;
  before(async () => {
    scratch = await createScratchSchema(database.url!, 'hs_prep');
    db = openDatabase(scratch.url);
    await migrateToLatest(db);
  });
  after(async () => {
    await db?.close();
    await scratch?.drop();
  });

  /** Runs `work` on one connection of the pool, then lists the statements prepared on it. */
  async function onOneConnection(work: (c: Executor) => Promise<void>): Promise<string[]> {
    return db.kysely.connection().execute(async (c) => {
      await work(c);
      const { rows } = await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(c);
      return rows.map((r) => r.statement);
    });
  }

  it('prepares a parameterised statement once per connection, and never a select *', async () => {
    const prepared = await onOneConnection(async (c) => {
      for (let i = 0; i < 3; i++) assert.equal(await findSessionTokenId(c, `nobody-${i}`), undefined);
      assert.equal(await findClient(c, 'hsc_nobody'), undefined);
    });
    const tokenSelect = prepared.filter((s) => /select "token_id" from "sessions"/.test(s));
    assert.equal(tokenSelect.length, 1, 'the token lookup is prepared, once');
    assert.ok(!prepared.some((s) => /select \*/.test(s)), `no select * prepared: ${prepared.join(' | ')}`);
  });

  it('a column added under a running pool breaks neither the named statements nor the select *', async () => {
    const reads = async (c: Executor): Promise<void> => {
      assert.equal(await findSessionBy(c, 'auth_id', 'nobody'), undefined);
      assert.equal(await findSessionTokenId(c, 'nobody'), undefined);
      assert.equal(await findClient(c, 'hsc_nobody'), undefined);
    };
    // Every connection of the pool prepares the statements, then another instance migrates.
    await Promise.all(Array.from({ length: 10 }, () => db.kysely.connection().execute(reads)));
    const other = new pg.Client({ connectionString: scratch.url });
    await other.connect();
    try {
      await other.query('alter table sessions add column added_later text');
      await other.query('alter table clients add column added_later text');
    } finally {
      await other.end();
    }
    await Promise.all(Array.from({ length: 10 }, () => db.kysely.connection().execute(reads)));
  });

  it('why a select * must stay unnamed: PostgreSQL refuses a prepared one after a column is added', async () => {
    const client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    try {
      const text = 'select * from clients where id = $1';
      assert.equal(statementName(text), null);
      const named = { name: 'hs_test_star', text, values: ['x'] };
      await client.query(named);
      await client.query('alter table clients add column added_even_later text');
      await assert.rejects(client.query(named), (error: { code?: string; message?: string }) => {
        assert.equal(error.code, '0A000');
        assert.match(error.message ?? '', /cached plan must not change result type/);
        return true;
      });
    } finally {
      await client.end();
    }
  });
});
