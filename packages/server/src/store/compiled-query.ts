/**
 * @module compiled-query
 * Queries compiled once and run with new parameter values, for the hot statements (the status
 * read, the session insert, the steps' lock and update): Kysely's builder and compiler cost more
 * than a primary-key lookup in SQLite (measured; see bench/README.md).
 */
import type { CompiledQuery, Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * What a compiled query's text depends on: the dialect's adapter, one object per `Kysely` instance
 * and shared by every transaction opened on it. Keying the cache by the executor itself would miss
 * on every transaction (each is a new object), which is where most hot statements run.
 * (`getExecutor()` is marked internal in Kysely's types but is part of its runtime API.) The adapter
 * is shared by `withPlugin` copies too: a query-transforming plugin would be applied by whichever
 * executor compiled first; Handset uses none.
 */
function compilationKey(db: Executor): object {
  return db.getExecutor().adapter;
}

/**
 * Compiles `build(db, markers)` once per database (dialect), where each named parameter is a
 * unique marker string, and returns a runner that puts the real values where the markers were.
 *
 * @example
 * const byId = compileOnce((db, p) => db.selectFrom('clients').selectAll().where('id', '=', p.id), ['id']);
 * const rows = await byId(db, { id: 'hsc_…' });
 */
export function compileOnce<Row, Name extends string>(
  build: (db: Executor, markers: Record<Name, string>) => { compile(): CompiledQuery<Row> },
  names: readonly Name[],
): (db: Executor, values: Record<Name, unknown>) => Promise<Row[]> {
  const cache = new WeakMap<object, { compiled: CompiledQuery<Row>; order: Name[] }>();
  const markers = Object.fromEntries(names.map((n, i) => [n, `\u0000marker:${i}:${n}`])) as Record<Name, string>;
  const nameOf = new Map(names.map((n) => [markers[n], n]));
  return async (db, values) => {
    const key = compilationKey(db);
    let entry = cache.get(key);
    if (!entry) {
      const compiled = build(db, markers).compile();
      const order = compiled.parameters.map((p) => {
        const name = nameOf.get(p as string);
        if (name === undefined) throw new Error('compileOnce: every parameter must be a named marker');
        return name;
      });
      entry = { compiled, order };
      cache.set(key, entry);
    }
    const parameters = entry.order.map((name) => values[name]);
    return (await db.executeQuery<Row>({ ...entry.compiled, parameters })).rows;
  };
}

/**
 * A family of {@link compileOnce} queries told apart by a shape key (the set of columns an update
 * writes, say): one compiled query per shape, at most `maxShapes` kept (shapes come from code, so
 * there are few; past the bound a shape is compiled on every call, which is only slower).
 */
export function compileOncePerShape<Row, Name extends string>(
  build: (db: Executor, markers: Record<Name, string>, names: readonly Name[]) => { compile(): CompiledQuery<Row> },
  maxShapes = 256,
): (db: Executor, names: readonly Name[], values: Record<Name, unknown>) => Promise<Row[]> {
  const shapes = new Map<string, (db: Executor, values: Record<Name, unknown>) => Promise<Row[]>>();
  return (db, names, values) => {
    const shape = names.join(',');
    let run = shapes.get(shape);
    if (!run) {
      const fixed = [...names];
      run = compileOnce<Row, Name>((d, markers) => build(d, markers, fixed), fixed);
      if (shapes.size < maxShapes) shapes.set(shape, run);
    }
    return run(db, values);
  };
}
