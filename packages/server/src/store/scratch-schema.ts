/**
 * @module scratch-schema
 * A throw-away PostgreSQL schema: tests (and the benchmark) give every server they start its own
 * empty schema in one shared database, so the same test files run on SQLite and on PostgreSQL
 * without seeing each other's rows. The connection string points at the schema through the
 * `options=-c search_path=…` startup parameter, which every pool connection inherits.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface ScratchSchema {
  /** The schema name, `<prefix>_<random hex>`. */
  schema: string;
  /** The base URL with its search_path set to the schema. */
  url: string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/** Returns `url` with the PostgreSQL search_path set to `schema` (replacing any `options` it had). */
export function withSearchPath(url: string, schema: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`not a plain schema name: ${schema}`);
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

async function run(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Creates an empty schema in the database of `baseUrl`. */
export async function createScratchSchema(baseUrl: string, prefix = 'hs'): Promise<ScratchSchema> {
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  const url = withSearchPath(baseUrl, schema); // validates the name before it reaches SQL
  await run(baseUrl, `create schema ${schema}`);
  let dropped: Promise<void> | null = null;
  return {
    schema,
    url,
    drop: () => (dropped ??= run(baseUrl, `drop schema if exists ${schema} cascade`)),
  };
}
