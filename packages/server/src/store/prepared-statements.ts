/**
 * @module prepared-statements
 * A pg Client that runs every parameterised statement as a named prepared statement: PostgreSQL
 * parses and plans it once per connection instead of on every call. Measured on the mobile flow
 * (bench/README.md, "named prepared statements"): planning alone was over half of PostgreSQL's
 * time in Handset's statements, most of it for primary-key lookups whose plan never changes.
 *
 * Which statements are named:
 * - only those with parameters (the others, `begin`, `commit`, migrations' DDL, go by the simple
 *   protocol as before);
 * - never one whose result columns could change under it: a prepared `select *` (or
 *   `returning *`) fails with "cached plan must not change result type" once a migration run by
 *   another instance adds a column, so a text with a `*` other than `count(*)` stays unnamed (the
 *   hot statements list their columns);
 * - at most {@link MAX_NAMED} distinct texts per process (the set is small and fixed: statements
 *   are built from code, values are always parameters; past the bound a text is simply unnamed).
 *
 * A named statement needs a session of its own on the server: connect directly or through a
 * session-mode pooler (docs/deployment.md), as the LISTEN connection already requires.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';

/** The most distinct statement texts named in one process. */
export const MAX_NAMED = 1000;

/** A `*` that would make the result's columns depend on the table's current definition. */
const STAR = /\*/;
const COUNT_STAR = /count\(\*\)/gi;

const names = new Map<string, string | null>();

/**
 * The name a statement text is prepared under, or null when it must stay unnamed (see the module
 * comment). The same text always gets the same name: a hash, so two processes agree (harmless,
 * prepared statements belong to one connection) and a name never collides with another text's.
 *
 * @example
 * statementName('select "token_id" from "sessions" where "auth_id" = $1'); // 'hs_3f2a…'
 * statementName('select * from "sessions" where "auth_id" = $1'); // null
 */
export function statementName(text: string): string | null {
  const known = names.get(text);
  if (known !== undefined) return known;
  const name = STAR.test(text.replace(COUNT_STAR, '')) ? null : `hs_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
  if (names.size < MAX_NAMED) names.set(text, name);
  return name;
}

/**
 * pg's Client, naming the statements Kysely sends (`query(text, values)`) by {@link statementName}.
 * Passed to the pool as its `Client`.
 *
 * @example
 * const pool = new pg.Pool({ connectionString: url, Client: PreparingClient });
 */
export class PreparingClient extends pg.Client {
  // pg's query has a dozen overloads; this one only rewrites the (text, values) form Kysely uses.
  override query(...args: any[]): any {
    const [text, values] = args as [unknown, unknown];
    if (args.length === 2 && typeof text === 'string' && Array.isArray(values) && values.length > 0) {
      const name = statementName(text);
      if (name) return super.query({ name, text, values });
    }
    return (super.query as (...a: unknown[]) => unknown).apply(this, args);
  }
}
