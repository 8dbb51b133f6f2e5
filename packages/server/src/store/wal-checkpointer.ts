/**
 * @module wal-checkpointer
 * SQLite in WAL mode appends every commit to the `-wal` file; a checkpoint copies those pages back
 * into the database file. Left to SQLite (`wal_autocheckpoint`), the checkpoint runs inside the
 * commit that crosses the threshold, on the event loop: with the threshold at 10,000 pages one
 * commit in ~330 mobile flows took 30–43 ms, and every request in flight waited for it
 * (bench/README.md, "The WAL checkpoint"). better-sqlite3 is synchronous, so nothing else runs
 * meanwhile.
 *
 * Here a worker thread with a connection of its own does the copying instead, PASSIVE (it never
 * waits for, nor blocks, the main connection's readers and writers), once per `intervalMs`. The log
 * restarts from its beginning only when a write begins with every frame copied back; under a steady
 * load some commits always land during the worker's copy, so once the log holds `restartFrames`
 * the main connection copies that small remainder itself after a worker round (frames of a few
 * milliseconds, not of the whole log), unless it is inside a transaction then (the next round
 * does). The main connection's automatic checkpoint stays as a backstop far above that, and comes
 * back at its usual threshold if the worker fails.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';

/** The worker's program, plain CommonJS (`eval`): no file to ship beside the build, no TypeScript loader in the thread. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
parentPort.on('message', (message) => {
  if (message === 'stop') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, log: result.log, checkpointed: result.checkpointed });
  } catch (error) {
    parentPort.postMessage({ ok: false, message: String((error && error.message) || error) });
  }
});
`;

/** Pages the main connection lets the log reach before it checkpoints by itself (~400 MB): a backstop only. */
export const BACKSTOP_AUTOCHECKPOINT_PAGES = 100_000;
/** The main connection's automatic checkpoint when no worker does it (~40 MB; see database.ts). */
export const FOREGROUND_AUTOCHECKPOINT_PAGES = 10_000;

export interface WalCheckpointerOptions {
  /** How often the worker copies the log back (default 1000 ms). */
  intervalMs?: number;
  /**
   * Frames the log may hold before the main connection copies the last ones itself so that the log
   * restarts (default the foreground threshold, 10,000: the log stays as long as before).
   */
  restartFrames?: number;
  /** Told when the worker fails; the main connection then checkpoints by itself again. */
  onError?: (error: Error) => void;
}

/** What the last round did, in frames of the log (4 KB pages with a small header). */
export interface CheckpointRound {
  /** Frames in the log when the worker's checkpoint ran. */
  log: number;
  /** Of those, copied back by the worker. */
  checkpointed: number;
  /** Whether the main connection copied the remainder, so that the log restarts (see `restartFrames`). */
  finished: boolean;
}

export class WalCheckpointer {
  readonly #main: SQLite.Database;
  readonly #worker: Worker;
  readonly #onError: (error: Error) => void;
  readonly #timer: NodeJS.Timeout;
  readonly #restartFrames: number;
  readonly #exited: Promise<void>;
  #busy = false;
  #stopped = false;
  #failed = false;
  #failing = false;
  #rounds = 0;
  #last: CheckpointRound | null = null;

  constructor(main: SQLite.Database, file: string, options: WalCheckpointerOptions = {}) {
    this.#main = main;
    this.#onError = options.onError ?? (() => {});
    this.#restartFrames = options.restartFrames ?? FOREGROUND_AUTOCHECKPOINT_PAGES;
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // The server's own flags (a TypeScript loader in development) are not needed in the thread.
      execArgv: [],
      workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), file },
    });
    this.#worker.unref();
    this.#worker.on('message', (message: { ok: true; log: number; checkpointed: number } | { ok: false; message: string }) => {
      this.#busy = false;
      if (message.ok) this.#finish(message.log, message.checkpointed);
      else this.#report(new Error(`WAL checkpoint failed: ${message.message}`));
    });
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.once('error', (error) => this.#fail(error));
    this.#worker.once('exit', () => {
      if (!this.#stopped) this.#fail(new Error('the WAL checkpoint worker exited'));
    });
    main.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
    this.#timer = setInterval(() => this.#round(), options.intervalMs ?? 1000);
    this.#timer.unref();
  }

  /** Rounds completed so far (a round whose worker or remainder copy failed does not count). */
  get rounds(): number {
    return this.#rounds;
  }

  /** The last completed round, or null before the first. */
  get last(): CheckpointRound | null {
    return this.#last;
  }

  /** Whether the worker still does the checkpoints (false after a failure or `stop()`). */
  get running(): boolean {
    return !this.#stopped && !this.#failed;
  }

  /** Stops the worker and waits for it (its connection closed); the main connection is left to its owner. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    // Referenced again, so that waiting for its exit keeps the process alive meanwhile.
    this.#worker.ref();
    if (!this.#failed) this.#worker.postMessage('stop');
    await this.#exited;
  }

  #round(): void {
    if (this.#busy || !this.running) return;
    this.#busy = true;
    this.#worker.postMessage('run');
  }

  #finish(log: number, checkpointed: number): void {
    // The log restarts only if a write begins with every frame copied back, and under load some
    // commit always lands after the worker's copy: once the log is long enough, the main
    // connection copies that remainder itself. It costs the checkpoint's two fsyncs on the event
    // loop (4–14 ms measured here, 30–43 ms for a whole checkpoint), so not every round.
    let finished = false;
    if (log >= this.#restartFrames && this.#main.open && !this.#main.inTransaction) {
      // Synchronous: no commit can land between this copy and the next write, which then
      // restarts the log from its beginning.
      try {
        this.#main.pragma('wal_checkpoint(PASSIVE)');
        finished = true;
      } catch (error) {
        // A full disk, say: the commits themselves report it; the next round tries again.
        this.#report(error instanceof Error ? error : new Error(String(error)));
        return;
      }
    }
    this.#failing = false;
    this.#rounds += 1;
    this.#last = { log, checkpointed, finished };
  }

  /** Tells of a failed round once per run of failures (a full disk fails every round until space is freed). */
  #report(error: Error): void {
    if (!this.#failing) this.#onError(error);
    this.#failing = true;
  }

  #fail(error: Error): void {
    if (this.#failed || this.#stopped) return;
    this.#failed = true;
    clearInterval(this.#timer);
    if (this.#main.open) this.#main.pragma(`wal_autocheckpoint = ${FOREGROUND_AUTOCHECKPOINT_PAGES}`);
    this.#onError(error);
  }
}
