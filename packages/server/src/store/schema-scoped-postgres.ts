/**
 * @module schema-scoped-postgres
 * Kysely's PostgreSQL dialect, with migrations kept to the schema they migrate.
 *
 * Kysely's own migrator reaches across the whole database twice:
 * - it takes ONE advisory lock for every migration in the database (a fixed key), so a migration
 *   stuck in one schema holds up a Handset starting on any other schema of that database;
 * - it decides whether its bookkeeping tables exist by listing the tables of EVERY schema, calling
 *   `pg_get_serial_sequence` on each column, which fails with 3F000 ("schema … does not exist")
 *   when another schema is dropped during the listing (deployments sharing a database, and the
 *   test suite's scratch schemas, create and drop schemas all the time).
 *
 * Here the lock's key is derived from the schema being migrated (two instances on one schema still
 * take turns; instances on different schemas never wait for each other), and the table listing
 * reads the current schema only (the first of the search_path, where Handset's tables live).
 */
import {
  DEFAULT_MIGRATION_LOCK_TABLE,
  DEFAULT_MIGRATION_TABLE,
  PostgresAdapter,
  PostgresDialect,
  PostgresIntrospector,
  sql,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type DatabaseMetadataOptions,
  type Kysely,
  type MigrationLockOptions,
  type SchemaMetadata,
  type TableMetadata,
} from 'kysely';

/**
 * How long a start waits for another instance's migration of the same schema (Kysely's own wait):
 * a rolling deployment's second instance waits for the first's migration, however long it runs.
 */
const LOCK_WAIT_MS = 60 * 60 * 1000;

/** The schema a migration runs in: the one the migrator was given, else the connection's current schema. */
const schemaOf = (options: MigrationLockOptions) => (options.lockTableSchema ? sql`${options.lockTableSchema}` : sql`current_schema()`);

/** The advisory lock key of one schema's migrations: 64 bits of PostgreSQL's own hash of its name. */
const lockKey = (options: MigrationLockOptions) => sql`hashtextextended('handset-migrations:' || ${schemaOf(options)}, 0)`;

class SchemaLockingAdapter extends PostgresAdapter {
  override async acquireMigrationLock(db: Kysely<unknown>, options: MigrationLockOptions): Promise<void> {
    // set_config(…, true) lasts for this statement's own transaction: only this wait is bounded by it.
    await sql`
      with set_timeout as (select set_config('lock_timeout', ${String(LOCK_WAIT_MS)}, true) as config_val)
      select pg_advisory_lock(${lockKey(options)}) from set_timeout`.execute(db);
  }

  override async releaseMigrationLock(db: Kysely<unknown>, options: MigrationLockOptions): Promise<void> {
    await sql`select pg_advisory_unlock(${lockKey(options)})`.execute(db);
  }
}

/** The migrator's bookkeeping tables, left out of a listing unless asked for (as Kysely does). */
const KYSELY_TABLES = new Set([DEFAULT_MIGRATION_TABLE, DEFAULT_MIGRATION_LOCK_TABLE]);

interface ColumnRow {
  schema: string;
  table: string;
  table_kind: string;
  column: string;
  type: string;
  not_null: boolean;
  has_default: boolean;
  identity: boolean;
  serial: boolean;
}

/** Kysely's introspector, with `getTables` reading the current schema only. */
class CurrentSchemaIntrospector implements DatabaseIntrospector {
  readonly #db: Kysely<unknown>;
  readonly #whole: PostgresIntrospector;

  constructor(db: Kysely<unknown>) {
    this.#db = db;
    this.#whole = new PostgresIntrospector(db);
  }

  getSchemas(): Promise<SchemaMetadata[]> {
    return this.#whole.getSchemas();
  }

  async getTables(options: DatabaseMetadataOptions = { withInternalKyselyTables: false }): Promise<TableMetadata[]> {
    // pg_catalog, not information_schema (whose views check privileges row by row: ~10× slower).
    const { rows } = await sql<ColumnRow>`
      select current_schema() as schema, c.relname as "table", c.relkind as table_kind, a.attname as "column", t.typname as "type",
             a.attnotnull as not_null, a.atthasdef as has_default, a.attidentity <> '' as identity,
             coalesce(pg_get_expr(d.adbin, d.adrelid) like 'nextval(%', false) as serial
      from pg_catalog.pg_class c
      join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      join pg_catalog.pg_type t on t.oid = a.atttypid
      left join pg_catalog.pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
      where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'v', 'p')
      order by c.relname, a.attnum`.execute(this.#db);
    const tables = new Map<string, TableMetadata & { columns: TableMetadata['columns'][number][] }>();
    for (const row of rows) {
      if (!options.withInternalKyselyTables && KYSELY_TABLES.has(row.table)) continue;
      let table = tables.get(row.table);
      if (!table) {
        table = { name: row.table, schema: row.schema, isView: row.table_kind === 'v', columns: [] };
        tables.set(row.table, table);
      }
      table.columns.push({
        name: row.column,
        dataType: row.type,
        isNullable: !row.not_null,
        hasDefaultValue: row.has_default || row.identity,
        isAutoIncrementing: row.identity || row.serial,
      });
    }
    return [...tables.values()];
  }

  async getMetadata(options?: DatabaseMetadataOptions): Promise<DatabaseMetadata> {
    return { tables: await this.getTables(options) };
  }
}

/**
 * The PostgreSQL dialect Handset opens its pool with: Kysely's, with a migration lock per schema and
 * table introspection kept to the current schema (see the module comment for why).
 *
 * @example
 * const kysely = new Kysely<Database>({ dialect: new SchemaScopedPostgresDialect({ pool }) });
 */
export class SchemaScopedPostgresDialect extends PostgresDialect {
  override createAdapter(): PostgresAdapter {
    return new SchemaLockingAdapter();
  }

  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new CurrentSchemaIntrospector(db);
  }
}
