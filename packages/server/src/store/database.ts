/**
 * @module database
 * Opens the database named by a path or URL: a file path or `:memory:` means SQLite,
 * `postgres://…` / `postgresql://…` means PostgreSQL. Both run the same migrations and queries.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, SqliteDriver, sql, type DatabaseConnection } from 'kysely';
import pg from 'pg';
import { redactDatabaseUrl } from '../lib/redact.js';
import { markingDriverErrors } from './driver-errors.js';
import { migrationProvider } from './migrations.js';
import { PreparingClient } from './prepared-statements.js';
import { QueryTimings } from './query-timings.js';
import { SchemaScopedPostgresDialect } from './schema-scoped-postgres.js';
import type { Database } from './schema.js';
import { FOREGROUND_AUTOCHECKPOINT_PAGES, WalCheckpointer, type WalCheckpointerOptions } from './wal-checkpointer.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  kysely: Kysely<Database>;
  dialect: Dialect;
  /** A human-readable location with any password removed. */
  location: string;
  /** The path or URL it was opened with, password included: never log it (use `location`). */
  url: string;
  /** Every statement's kind and duration (the metrics listen). */
  timings: QueryTimings;
  /** The PostgreSQL pool's connection counts; null on SQLite, which has no pool. */
  poolStats: (() => { total: number; idle: number; waiting: number }) | null;
  /** The background WAL checkpointer of a SQLite file opened with `backgroundCheckpoints`, else null or absent. */
  checkpointer?: WalCheckpointer | null;
  close(): Promise<void>;
}

/** True when the string names a PostgreSQL database. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

// pg returns bigint (int8) as a string; every bigint here is an epoch-ms time that fits a double.
pg.types.setTypeParser(20, Number);

export interface OpenOptions {
  /**
   * SQLite files only: copy the write-ahead log back into the database from a worker thread
   * instead of inside a commit on the event loop (store/wal-checkpointer.ts). The server turns
   * it on; short-lived commands (the CLI) keep SQLite's own checkpoints.
   */
  backgroundCheckpoints?: boolean | WalCheckpointerOptions;
}

/** Opens (but does not migrate) the database. */
export function openDatabase(url: string, options: OpenOptions = {}): Db {
  const timings = new QueryTimings();
  if (isPostgresUrl(url)) {
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      // An unreachable server (or a pool exhausted for this long) fails the request with 503
      // instead of hanging it; a stopped server is refused at once anyway.
      connectionTimeoutMillis: 5000,
      application_name: 'handset',
      // Parameterised statements are prepared once per connection (store/prepared-statements.ts).
      Client: PreparingClient,
    });
    survivePoolErrors(pool);
    const kysely = new Kysely<Database>({ dialect: markingDriverErrors(new SchemaScopedPostgresDialect({ pool }), timings) });
    const poolStats = (): { total: number; idle: number; waiting: number } => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });
    return { kysely, dialect: 'postgres', location: redactDatabaseUrl(url), url, timings, poolStats, close: () => kysely.destroy() };
  }
  if (url !== ':memory:') mkdirSync(dirname(url), { recursive: true });
  const sqlite = new SQLite(url);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  // Checkpoint the WAL every ~40 MB instead of every ~4 MB: pages written many times between
  // checkpoints are copied (and fsynced) once. Measured: a session insert went from ~120 to ~75 µs.
  sqlite.pragma(`wal_autocheckpoint = ${FOREGROUND_AUTOCHECKPOINT_PAGES}`);
  const checkpointer =
    options.backgroundCheckpoints && url !== ':memory:'
      ? new WalCheckpointer(sqlite, url, options.backgroundCheckpoints === true ? {} : options.backgroundCheckpoints)
      : null;
  const kysely = new Kysely<Database>({
    dialect: markingDriverErrors(new SqliteDialectKeepingErrors(withStatementCache(sqlite)), timings),
  });
  const close = async (): Promise<void> => {
    await checkpointer?.stop();
    await kysely.destroy();
  };
  return { kysely, dialect: 'sqlite', location: url, url, timings, poolStats: null, checkpointer, close };
}

/**
 * A pg client whose connection dies (the server restarting, say) emits 'error', and an 'error'
 * event nobody listens to ends the process. pg-pool listens only while a client is idle in the
 * pool (and re-emits on the pool); a client checked out by a request, even between two statements
 * of a transaction, has no listener of its own. So every client gets one for its whole life, the
 * moment the pool creates it. Nothing else is needed: the request holding the client fails through
 * its query (503), and the pool drops the client on release because it is no longer queryable.
 */
function survivePoolErrors(pool: pg.Pool): void {
  const ignore = (): void => {};
  pool.on('error', ignore);
  pool.on('connect', (client) => client.on('error', ignore));
}

/**
 * SQLite rolls a transaction back by itself on some errors (SQLITE_FULL, SQLITE_IOERR, …). Kysely
 * then sends ROLLBACK anyway, which fails ("no transaction is active") and replaces the real error,
 * so a full disk would answer 500 instead of 503. Roll back only a transaction still open.
 */
class SqliteDriverKeepingErrors extends SqliteDriver {
  readonly #sqlite: SQLite.Database;
  constructor(sqlite: SQLite.Database) {
    super({ database: sqlite });
    this.#sqlite = sqlite;
  }
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.#sqlite.inTransaction) await super.rollbackTransaction(connection);
  }
}

class SqliteDialectKeepingErrors extends SqliteDialect {
  readonly #sqlite: SQLite.Database;
  constructor(sqlite: SQLite.Database) {
    super({ database: sqlite });
    this.#sqlite = sqlite;
  }
  override createDriver(): SqliteDriver {
    return new SqliteDriverKeepingErrors(this.#sqlite);
  }
}

/**
 * Kysely prepares every statement anew; better-sqlite3 statements are reusable, and preparing
 * costs more than running a lookup by primary key. Cache them by SQL text (the set is small and
 * fixed: queries are built from code, values are always parameters).
 */
function withStatementCache(sqlite: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  return new Proxy(sqlite, {
    get(target, property, receiver) {
      if (property !== 'prepare') return Reflect.get(target, property, receiver);
      return (source: string) => {
        let statement = cache.get(source);
        if (!statement) {
          statement = target.prepare(source);
          if (cache.size < 500) cache.set(source, statement);
        }
        return statement;
      };
    },
  });
}

/** Brings the schema up to date; returns the names of the migrations applied now. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  // On PostgreSQL, name the schema the tables live in (the first of the search_path): Kysely
  // otherwise finds its bookkeeping tables in ANY schema of the database and skips the migrations.
  const migrationTableSchema =
    db.dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db.kysely)).rows[0]?.schema
      : undefined;
  const migrator = new Migrator({ db: db.kysely, provider: migrationProvider, migrationTableSchema });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
