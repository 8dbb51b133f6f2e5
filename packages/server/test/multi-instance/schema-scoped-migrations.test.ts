/**
 * Migrations on a PostgreSQL database that other deployments (and the test suite's other files)
 * share: a migration waits only for migrations of its own schema, and schemas created and dropped
 * meanwhile never fail it (Kysely's own migrator listed every schema's tables and took one lock
 * for the whole database; store/schema-scoped-postgres.ts).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { migrateToLatest, openDatabase, type Db } from '../../src/store/database.js';
import { createScratchSchema, type ScratchSchema } from '../../src/store/scratch-schema.js';
import { multiInstanceDatabase } from '../support/instances.js';

const database = multiInstanceDatabase();

describe('migrations kept to their own schema', { skip: database.skip, timeout: 120_000 }, () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });

  async function scratchDb(prefix: string): Promise<{ scratch: ScratchSchema; db: Db }> {
    const scratch = await createScratchSchema(database.url!, prefix);
    const db = openDatabase(scratch.url);
    cleanups.push(() => scratch.drop(), () => db.close());
    return { scratch, db };
  }

  /** A connection of its own holding the migration lock of `schema` until `release` is called. */
  async function holdMigrationLock(schema: string): Promise<() => Promise<void>> {
    const client = new pg.Client({ connectionString: database.url! });
    await client.connect();
    await client.query(`select pg_advisory_lock(hashtextextended('handset-migrations:' || $1, 0))`, [schema]);
    let released = false;
    const release = async (): Promise<void> => {
      if (released) return;
      released = true;
      await client.end();
    };
    cleanups.push(release);
    return release;
  }

  it("waits for another migration of the same schema, never for another schema's", async () => {
    const a = await scratchDb('hs_mig_a');
    const b = await scratchDb('hs_mig_b');
    const release = await holdMigrationLock(a.scratch.schema);

    // Another schema migrates at once, the held lock notwithstanding.
    assert.ok((await migrateToLatest(b.db)).length > 0, 'schema b migrated');

    // The held schema waits, and goes on when the lock is let go.
    let done = false;
    const migratingA = migrateToLatest(a.db).then((applied) => {
      done = true;
      return applied;
    });
    await sleep(300);
    assert.equal(done, false, "a's migration waited for the lock held on a");
    await release();
    assert.ok((await migratingA).length > 0, 'schema a migrated once the lock was let go');
    assert.deepEqual(await migrateToLatest(a.db), [], 'a second run applies nothing');
  });

  it('two instances starting on one schema migrate it once', async () => {
    const { scratch } = await scratchDb('hs_mig_twice');
    const first = openDatabase(scratch.url);
    const second = openDatabase(scratch.url);
    cleanups.push(() => first.close(), () => second.close());
    const [x, y] = await Promise.all([migrateToLatest(first), migrateToLatest(second)]);
    assert.ok(x.length > 0 || y.length > 0, 'one of them applied the migrations');
    assert.equal(Math.min(x.length, y.length), 0, 'the other found them applied');
  });

  it('schemas created and dropped meanwhile never fail a migration', async () => {
    let churning = true;
    const churner = async () => {
      let cycles = 0;
      while (churning) {
        // A schema with a serial column: the listing Kysely did looked up its sequence.
        const other = await createScratchSchema(database.url!, 'hs_mig_churn');
        const client = new pg.Client({ connectionString: other.url });
        await client.connect();
        await client.query('create table t (id serial primary key, a int, b int, c int)');
        await client.end();
        await other.drop();
        cycles += 1;
      }
      return cycles;
    };
    const churns = [churner(), churner(), churner()];
    try {
      for (let i = 0; i < 6; i++) {
        const { db } = await scratchDb('hs_mig_many');
        assert.ok((await migrateToLatest(db)).length > 0);
      }
    } finally {
      churning = false;
    }
    assert.ok((await Promise.all(churns)).every((cycles) => cycles > 0), 'schemas were dropped during the migrations');
  });

  it("lists the current schema's tables only, Kysely's own when asked", async () => {
    const { db } = await scratchDb('hs_mig_list');
    await migrateToLatest(db);
    const other = await scratchDb('hs_mig_other');
    await sql`create table ${sql.table(`${other.scratch.schema}.not_ours`)} (id int)`.execute(db.kysely);

    const plain = await db.kysely.introspection.getTables();
    const names = plain.map((t) => t.name);
    assert.ok(names.includes('sessions'), 'our tables are listed');
    assert.ok(!names.includes('not_ours'), "another schema's table is not");
    assert.ok(!names.some((n) => n.startsWith('kysely_migration')), "Kysely's bookkeeping only when asked");
    const all = await db.kysely.introspection.getTables({ withInternalKyselyTables: true });
    assert.ok(all.some((t) => t.name === 'kysely_migration'));

    const sessions = plain.find((t) => t.name === 'sessions')!;
    assert.ok(sessions.columns.length > 5, 'columns are listed');
    assert.ok(sessions.columns.every((c) => typeof c.isNullable === 'boolean' && c.dataType.length > 0));
    assert.equal(new Set(plain.map((t) => t.schema)).size, 1, 'one schema');
  });
});
