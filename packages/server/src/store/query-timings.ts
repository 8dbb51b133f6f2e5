/**
 * @module query-timings
 * Every statement's duration, handed to whoever listens (the metrics of each app instance using
 * this database). The database driver's wrapper (store/driver-errors.ts) times each statement and
 * reports it here as a small, bounded description: the statement kind, never its text or values.
 * (Kysely's own `log` option would time them too, but it wraps every statement in two more
 * promises and an event object, even with nobody listening: measured in bench/README.md.)
 */
import type { CompiledQuery } from 'kysely';

/** A statement's kind, from its Kysely query node (raw SQL and transaction control are `other`). */
export type QueryKind = 'select' | 'insert' | 'update' | 'delete' | 'other';

export interface QueryTiming {
  kind: QueryKind;
  seconds: number;
  failed: boolean;
}

export type QueryListener = (timing: QueryTiming) => void;

const KINDS: Record<string, QueryKind> = {
  SelectQueryNode: 'select',
  InsertQueryNode: 'insert',
  UpdateQueryNode: 'update',
  DeleteQueryNode: 'delete',
};

export class QueryTimings {
  readonly #listeners = new Set<QueryListener>();

  /** Listens to every statement from now on; returns the call that stops listening. */
  listen(listener: QueryListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Whether anyone listens (the driver times nothing otherwise). */
  get active(): boolean {
    return this.#listeners.size > 0;
  }

  /** A statement ran for `milliseconds` (and failed, or not). */
  record(query: CompiledQuery, milliseconds: number, failed: boolean): void {
    const timing: QueryTiming = { kind: KINDS[query.query.kind] ?? 'other', seconds: milliseconds / 1000, failed };
    for (const listener of this.#listeners) listener(timing);
  }
}
