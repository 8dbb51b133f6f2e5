/**
 * @module driver-errors
 * Marks every error the database driver raises (connecting, querying, beginning or ending a
 * transaction) as coming from the database. A network code such as ECONNRESET then means "the
 * database connection broke" only when the driver raised it: an HTTP client that hangs up
 * mid-body raises the same code, and that is no database fault. The same wrapper times every
 * statement for the metrics (store/query-timings.ts) when anyone listens.
 */
import { performance } from 'node:perf_hooks';
import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryCompiler, QueryResult, TransactionSettings } from 'kysely';
import type { QueryTimings } from './query-timings.js';

const FROM_DATABASE = Symbol('handset.fromDatabase');

/** True when the database driver raised `error`. */
export function isFromDatabase(error: unknown): boolean {
  return typeof error === 'object' && error !== null && FROM_DATABASE in error;
}

function mark(error: unknown): unknown {
  if (typeof error === 'object' && error !== null && !Object.isFrozen(error)) {
    Object.defineProperty(error, FROM_DATABASE, { value: true });
  }
  return error;
}

/** Runs `work` (which may also throw before returning its promise: SQLite's does) and marks its error. */
async function marking<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw mark(error);
  }
}

type Compile = QueryCompiler['compileQuery'];

/** The driver of `inner`, with its connections wrapped; the wrapped driver is handed back its own connections. */
class MarkingDriver implements Driver {
  readonly #driver: Driver;
  readonly #timings: QueryTimings | undefined;
  readonly #inner = new WeakMap<DatabaseConnection, DatabaseConnection>();
  readonly #outer = new WeakMap<DatabaseConnection, DatabaseConnection>();

  constructor(driver: Driver, timings?: QueryTimings) {
    this.#driver = driver;
    this.#timings = timings;
  }

  #unwrap(connection: DatabaseConnection): DatabaseConnection {
    return this.#inner.get(connection) ?? connection;
  }

  init(): Promise<void> {
    return marking(() => this.#driver.init());
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const inner = await marking(() => this.#driver.acquireConnection());
    // One wrapper per connection for its whole life (SQLite's one, each pooled PostgreSQL client),
    // not one per acquisition.
    return this.#outer.get(inner) ?? this.#wrap(inner);
  }

  /** One statement, timed when anyone listens; transaction control (begin, commit) is not timed. */
  async #execute<R>(inner: DatabaseConnection, query: CompiledQuery): Promise<QueryResult<R>> {
    const timings = this.#timings?.active ? this.#timings : null;
    const start = timings ? performance.now() : 0;
    try {
      const result = await inner.executeQuery<R>(query);
      timings?.record(query, performance.now() - start, false);
      return result;
    } catch (error) {
      timings?.record(query, performance.now() - start, true);
      throw mark(error);
    }
  }

  #wrap(inner: DatabaseConnection): DatabaseConnection {
    const outer: DatabaseConnection = {
      executeQuery: (query) => this.#execute(inner, query),
      async *streamQuery(query, chunkSize) {
        try {
          yield* inner.streamQuery(query, chunkSize);
        } catch (error) {
          throw mark(error);
        }
      },
    };
    this.#inner.set(outer, inner);
    this.#outer.set(inner, outer);
    return outer;
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return marking(() => this.#driver.beginTransaction(this.#unwrap(connection), settings));
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return marking(() => this.#driver.commitTransaction(this.#unwrap(connection)));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return marking(() => this.#driver.rollbackTransaction(this.#unwrap(connection)));
  }

  savepoint(connection: DatabaseConnection, name: string, compile: Compile): Promise<void> {
    return this.#savepointStep('savepoint', connection, name, compile);
  }

  rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: Compile): Promise<void> {
    return this.#savepointStep('rollbackToSavepoint', connection, name, compile);
  }

  releaseSavepoint(connection: DatabaseConnection, name: string, compile: Compile): Promise<void> {
    return this.#savepointStep('releaseSavepoint', connection, name, compile);
  }

  #savepointStep(
    step: 'savepoint' | 'rollbackToSavepoint' | 'releaseSavepoint',
    connection: DatabaseConnection,
    name: string,
    compile: Compile,
  ): Promise<void> {
    const run = this.#driver[step]?.bind(this.#driver);
    if (!run) return Promise.reject(new Error(`the database driver does not support ${step}`));
    return marking(() => run(this.#unwrap(connection), name, compile));
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#driver.releaseConnection(this.#unwrap(connection));
  }

  destroy(): Promise<void> {
    return this.#driver.destroy();
  }
}

/**
 * `dialect` with every error of its driver marked (see {@link isFromDatabase}) and, with
 * `timings`, every statement timed for whoever listens to them.
 */
export function markingDriverErrors(dialect: Dialect, timings?: QueryTimings): Dialect {
  return {
    createDriver: () => new MarkingDriver(dialect.createDriver(), timings),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}
