/**
 * The background WAL checkpointer (store/wal-checkpointer.ts) on real SQLite files: commits stop
 * checkpointing (the main connection's threshold is only a backstop), a worker thread copies the
 * log back, the log restarts under continuous writes instead of growing, nothing is lost, a
 * failing worker hands checkpoints back to the main connection, and closing leaves no log behind.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/deps.js';
import { startServer } from '../../src/server.js';
import { migrateToLatest, openDatabase, type Db } from '../../src/store/database.js';
import { BACKSTOP_AUTOCHECKPOINT_PAGES, FOREGROUND_AUTOCHECKPOINT_PAGES, WalCheckpointer } from '../../src/store/wal-checkpointer.js';
import { eventually } from '../support/courier.js';

const dir = mkdtempSync(join(tmpdir(), 'handset-wal-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newFile = (): string => join(dir, `db-${++files}.db`);

const autocheckpoint = async (db: Db): Promise<number> =>
  Number(Object.values((await sql<Record<string, number>>`pragma wal_autocheckpoint`.execute(db.kysely)).rows[0]!)[0]);

/** One committed row per call, ~1 KB of text so that every commit writes a few pages. */
async function writeRows(db: Db, prefix: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await db.kysely.insertInto('sms_outbox').values({ id: `${prefix}-${i}`, client_id: null, to_e164: '+12025550100', body: 'x'.repeat(1000), sent_at: i }).execute();
    // Let the worker's messages in between commits, as requests do.
    if (i % 20 === 0) await turn();
  }
}

const walBytes = (file: string): number => (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);

describe('background WAL checkpoints (SQLite file)', () => {
  it('commits no longer checkpoint; the worker copies the log back and nothing is lost', async () => {
    const file = newFile();
    const db = openDatabase(file, { backgroundCheckpoints: { intervalMs: 20 } });
    try {
      await migrateToLatest(db);
      assert.equal(await autocheckpoint(db), BACKSTOP_AUTOCHECKPOINT_PAGES);
      assert.equal(db.checkpointer?.running, true);
      const databaseBytes = statSync(file).size;
      await writeRows(db, 'a', 500);
      await eventually('two worker rounds that copied frames', () => (db.checkpointer?.rounds ?? 0) >= 2 && (db.checkpointer?.last?.checkpointed ?? 0) > 0, 10_000);
      // The pages reached the database file itself (the log is copied back, not only appended to).
      assert.ok(statSync(file).size > databaseBytes + 400_000, `database file ${statSync(file).size} bytes`);
      const reader = new SQLite(file, { readonly: true });
      try {
        assert.equal((reader.prepare("select count(*) as n from sms_outbox where id like 'a-%'").get() as { n: number }).n, 500);
      } finally {
        reader.close();
      }
    } finally {
      await db.close();
    }
  });

  it('under continuous writes the log restarts instead of growing', async () => {
    const file = newFile();
    const db = openDatabase(file, { backgroundCheckpoints: { intervalMs: 10, restartFrames: 200 } });
    let maxWal = 0;
    let restarted = false;
    let reader: SQLite.Database | undefined;
    try {
      await migrateToLatest(db);
      // A reader of its own, as another process would be: every committed row stays visible to it
      // while the log is copied back and restarted under it.
      reader = new SQLite(file, { readonly: true, fileMustExist: true });
      const count = reader.prepare<[], { n: number }>('select count(*) as n from sms_outbox');
      for (let batch = 0; batch < 20; batch++) {
        await writeRows(db, `b${batch}`, 200);
        maxWal = Math.max(maxWal, walBytes(file));
        restarted ||= db.checkpointer?.last?.finished === true;
        assert.equal(count.get()!.n, (batch + 1) * 200);
      }
      const { n } = await db.kysely.selectFrom('sms_outbox').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(n), 4000);
    } finally {
      reader?.close();
      await db.close();
    }
    // 4,000 commits write ~35 MB of log in all. The file never shrinks, so its size is the longest
    // the log got. Measured: ~7 MB; with the main connection's remainder copy switched off
    // (restartFrames: Infinity) the worker's copies alone never let it restart, and it reached 35 MB.
    assert.ok(maxWal < 16_000_000, `log reached ${maxWal} bytes`);
    assert.ok(restarted, 'the main connection copied a remainder at least once');
  });

  it('a failing worker hands checkpoints back to the main connection and says so', async () => {
    const file = newFile();
    const main = new SQLite(file);
    main.pragma('journal_mode = WAL');
    const errors: Error[] = [];
    // The worker opens its own connection to a file that must exist: this one does not.
    const checkpointer = new WalCheckpointer(main, join(dir, 'missing', 'nothing.db'), { intervalMs: 10, onError: (e) => errors.push(e) });
    try {
      await eventually('the worker to fail', () => !checkpointer.running, 10_000);
      assert.equal(errors.length, 1);
      assert.match(errors[0]!.message, /.+/);
      assert.equal(main.pragma('wal_autocheckpoint', { simple: true }), FOREGROUND_AUTOCHECKPOINT_PAGES);
    } finally {
      await checkpointer.stop();
      main.close();
    }
  });

  it('a failing remainder copy is told once per run of failures, and its rounds do not count', async () => {
    const file = newFile();
    const real = new SQLite(file);
    real.pragma('journal_mode = WAL');
    let failRemainder = true;
    let failedCopies = 0;
    // The main connection as the checkpointer sees it: its own checkpoint fails while asked to (a full disk, say).
    const main = new Proxy(real, {
      get(target, property) {
        if (property === 'pragma') {
          return (source: string, options?: { simple?: boolean }) => {
            if (failRemainder && source.startsWith('wal_checkpoint')) {
              failedCopies++;
              throw new Error('SQLITE_FULL: database or disk is full');
            }
            return target.pragma(source, options);
          };
        }
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const errors: Error[] = [];
    const checkpointer = new WalCheckpointer(main, file, { intervalMs: 5, restartFrames: 0, onError: (e) => errors.push(e) });
    try {
      // Counted in failed copies, not in time: the worker thread takes a while to start on a busy machine.
      await eventually('three failed remainder copies', () => failedCopies >= 3, 10_000);
      assert.equal(errors.length, 1, 'one report for the whole run of failures');
      assert.match(errors[0]!.message, /SQLITE_FULL/);
      assert.equal(checkpointer.rounds, 0);
      assert.equal(checkpointer.running, true, 'the worker keeps going');
      failRemainder = false;
      await eventually('rounds to complete again', () => checkpointer.rounds >= 2, 10_000);
      failRemainder = true;
      await eventually('the next run of failures to be told', () => errors.length === 2, 10_000);
    } finally {
      await checkpointer.stop();
      real.close();
    }
  });

  it('closing stops the worker and leaves no log behind', async () => {
    const file = newFile();
    const db = openDatabase(file, { backgroundCheckpoints: { intervalMs: 10 } });
    await migrateToLatest(db);
    await writeRows(db, 'c', 100);
    const checkpointer = db.checkpointer!;
    await db.close();
    assert.equal(checkpointer.running, false);
    // SQLite removes the log when its last connection closes: the worker's was closed first.
    assert.equal(existsSync(`${file}-wal`), false);
    const reader = new SQLite(file, { readonly: true });
    try {
      assert.equal(reader.pragma('integrity_check', { simple: true }), 'ok');
      assert.equal((reader.prepare('select count(*) as n from sms_outbox').get() as { n: number }).n, 100);
    } finally {
      reader.close();
    }
  });

  it('only the server asks for it: in-memory databases and other openers keep SQLite’s own checkpoints', async () => {
    const memory = openDatabase(':memory:', { backgroundCheckpoints: true });
    const plain = openDatabase(newFile());
    try {
      assert.equal(memory.checkpointer, null);
      assert.equal(plain.checkpointer, null);
      assert.equal(await autocheckpoint(plain), FOREGROUND_AUTOCHECKPOINT_PAGES);
    } finally {
      await memory.close();
      await plain.close();
    }
    const server = await startServer(loadConfig({ port: 0, database: newFile(), dev: true }, {}), { log: createLogger('silent') });
    try {
      assert.equal(server.deps.db.checkpointer?.running, true);
      assert.equal(await autocheckpoint(server.deps.db), BACKSTOP_AUTOCHECKPOINT_PAGES);
    } finally {
      await server.close();
    }
  });
});
