/**
 * @module query-timings
 * Every statement's duration, handed to whoever listens (the metrics of each app instance using
 * this database). Kysely measures it already when given a `log` function; this turns its events
 * into a small, bounded description: the statement kind, never its text or values.
 */
import type { LogEvent } from 'kysely';

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

  /** Kysely's `log` option. */
  readonly log = (event: LogEvent): void => {
    if (this.#listeners.size === 0) return;
    const timing: QueryTiming = {
      kind: KINDS[event.query.query.kind] ?? 'other',
      seconds: event.queryDurationMillis / 1000,
      failed: event.level === 'error',
    };
    for (const listener of this.#listeners) listener(timing);
  };
}
