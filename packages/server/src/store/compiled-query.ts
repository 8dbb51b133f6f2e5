/**
 * @module compiled-query
 * Queries compiled once and run with new parameter values, for the hottest statements (the
 * status read, the session insert): Kysely's builder and compiler cost more than a primary-key
 * lookup in SQLite (measured; see bench/README.md).
 */
import type { CompiledQuery, Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * Compiles `build(db, markers)` once per executor, where each named parameter is a unique marker
 * string, and returns a runner that puts the real values where the markers were.
 *
 * @example
 * const byId = compileOnce((db, p) => db.selectFrom('clients').selectAll().where('id', '=', p.id), ['id']);
 * const rows = await byId(db, { id: 'hsc_…' });
 */
export function compileOnce<Row, Name extends string>(
  build: (db: Executor, markers: Record<Name, string>) => { compile(): CompiledQuery<Row> },
  names: readonly Name[],
): (db: Executor, values: Record<Name, unknown>) => Promise<Row[]> {
  const cache = new WeakMap<Executor, { compiled: CompiledQuery<Row>; order: Name[] }>();
  const markers = Object.fromEntries(names.map((n, i) => [n, `\u0000marker:${i}:${n}`])) as Record<Name, string>;
  const nameOf = new Map(names.map((n) => [markers[n], n]));
  return async (db, values) => {
    let entry = cache.get(db);
    if (!entry) {
      const compiled = build(db, markers).compile();
      const order = compiled.parameters.map((p) => {
        const name = nameOf.get(p as string);
        if (name === undefined) throw new Error('compileOnce: every parameter must be a named marker');
        return name;
      });
      entry = { compiled, order };
      cache.set(db, entry);
    }
    const parameters = entry.order.map((name) => values[name]);
    return (await db.executeQuery<Row>({ ...entry.compiled, parameters })).rows;
  };
}
