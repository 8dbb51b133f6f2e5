/**
 * @module group-commit
 * Group commit: independent writes that arrive in the same turn of the event loop share one
 * transaction, so they share one commit. On SQLite a commit (WAL frames, locks) costs more than
 * the insert itself; under load `/v3/unify` inserts arrive together and each pays a fraction.
 * Each caller's promise settles when its batch has committed (or fails with it), so durability is
 * the same as writing alone.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

type Work = (trx: Transaction<Database>) => Promise<void>;

/** Most writes one commit carries; the rest wait for the next one. */
const MAX_BATCH = 64;

export class GroupCommit {
  readonly #db: Kysely<Database>;
  #pending: Array<{ work: Work; resolve: () => void; reject: (error: unknown) => void }> = [];
  #scheduled = false;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Runs `work` in the next shared transaction; resolves once that transaction committed. */
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
      for (const item of batch) item.resolve();
    } catch (error) {
      for (const item of batch) item.reject(error);
    }
  }
}
