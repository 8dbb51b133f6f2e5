/**
 * @module group-commit
 * Group commit: independent writes that arrive in the same turn of the event loop share one
 * transaction, so they share one commit. On SQLite a commit (WAL frames, locks) costs more than
 * the insert itself; under load `/v3/unify` inserts arrive together and each pays a fraction.
 * Each caller's promise settles only after the transaction holding its write has committed, so
 * durability is the same as writing alone.
 *
 * One failing write must not fail its neighbours. PostgreSQL aborts the whole transaction at the
 * first failed statement, so the batch cannot simply carry on past it; savepoints could, but cost
 * two more round trips per write on every batch. Failures are rare, so only a failed batch pays:
 * it is rolled back and each write runs again alone, in its own transaction, and fails or commits
 * on its own.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

type Work = (trx: Transaction<Database>) => Promise<void>;

interface Item {
  work: Work;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Most writes one commit carries; the rest wait for the next one. */
const MAX_BATCH = 64;

export class GroupCommit {
  readonly #db: Kysely<Database>;
  #pending: Item[] = [];
  #scheduled = false;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Runs `work` in the next shared transaction; resolves once its write has committed, rejects
   * with its own error. `work` may run twice (again alone after a failed batch), so it must only
   * write through `trx`.
   */
  run(work: Work): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ work, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#pending.splice(0, MAX_BATCH);
    if (this.#pending.length > 0) setImmediate(() => void this.#flush());
    else this.#scheduled = false;
    try {
      await this.#db.transaction().execute(async (trx) => {
        for (const item of batch) await item.work(trx);
      });
    } catch (error) {
      if (batch.length === 1) batch[0]!.reject(error);
      else await Promise.all(batch.map((item) => this.#runAlone(item)));
      return;
    }
    for (const item of batch) item.resolve();
  }

  async #runAlone(item: Item): Promise<void> {
    try {
      await this.#db.transaction().execute(item.work);
    } catch (error) {
      item.reject(error);
      return;
    }
    item.resolve();
  }
}
