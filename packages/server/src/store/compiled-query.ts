/**
 * @module compiled-query
 * A query compiled once and run with new parameter values, for the hottest reads: Kysely's
 * builder and compiler cost more than a primary-key lookup in SQLite.
 */
import type { CompiledQuery, Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * Compiles `build(placeholders…)` once, with marker values, and returns a runner that
 * substitutes the real values in the same order.
 */
export function compileOnce<Row, Args extends string[]>(
  build: (db: Kysely<Database>, ...markers: Args) => { compile(): CompiledQuery<Row> },
  arity: Args['length'],
): (db: Kysely<Database>, ...args: Args) => Promise<Row[]> {
  const cache = new WeakMap<Kysely<Database>, CompiledQuery<Row>>();
  const markers = Array.from({ length: arity }, (_, i) => `\u0000marker${i}`) as Args;
  return async (db, ...args) => {
    let compiled = cache.get(db);
    if (!compiled) {
      compiled = build(db, ...markers).compile();
      const positions = compiled.parameters.map((p) => markers.indexOf(p as string));
      if (positions.some((i) => i < 0)) throw new Error('compileOnce: every parameter must be a marker');
      cache.set(db, compiled);
    }
    const parameters = compiled.parameters.map((p) => args[markers.indexOf(p as string)]);
    const result = await db.executeQuery<Row>({ ...compiled, parameters });
    return result.rows;
  };
}
