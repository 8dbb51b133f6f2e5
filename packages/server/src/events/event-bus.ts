/**
 * @module event-bus
 * The EventBus port: "session X changed". Payloads carry identifiers only; receivers re-read
 * the session from the database, so a lost or duplicated event is harmless.
 */
import { EventEmitter } from 'node:events';
import type { Executor } from '../store/executor.js';

export interface SessionChanged {
  correlationId: string;
}

/** A PostgreSQL `NOTIFY` to send in the transaction that makes a change (delivered on COMMIT). */
export interface StagedNotify {
  channel: string;
  payload: string;
}

/**
 * Every change is handed to the bus twice: staged inside the transaction that makes it
 * ({@link EventBus.stage}, or {@link EventBus.notifyFor} folded into a statement of the caller's:
 * session steps send it with their timeline), and {@link EventBus.publish} after that transaction
 * has committed. Each bus uses the one that fits its transport: PostgreSQL NOTIFY is staged
 * (delivered to other instances on COMMIT, never on rollback); the in-process bus emits on publish.
 */
export interface EventBus {
  /** Stages the announcement in the transaction `trx` that makes the change (a no-op for in-process buses). */
  stage(trx: Executor, event: SessionChanged): Promise<void>;
  /**
   * What {@link EventBus.stage} would NOTIFY, for a caller that folds it into a statement of its
   * own (one round trip fewer per step); null when the bus announces on publish only.
   */
  notifyFor(event: SessionChanged): StagedNotify | null;
  /** Announces a committed change to this instance's subscribers. */
  publish(event: SessionChanged): Promise<void>;
  /** Calls `handler` for changes of one session; returns the unsubscribe function. */
  subscribe(correlationId: string, handler: () => void): () => void;
  close(): Promise<void>;
}

/** The in-process bus: the reference implementation, and the one used with SQLite (one instance). */
export class MemoryEventBus implements EventBus {
  readonly #emitter = new EventEmitter();
  constructor() {
    this.#emitter.setMaxListeners(0);
  }
  async stage(_trx: Executor, _event: SessionChanged): Promise<void> {}
  notifyFor(_event: SessionChanged): StagedNotify | null {
    return null;
  }
  async publish(event: SessionChanged): Promise<void> {
    this.#emitter.emit(event.correlationId);
  }
  subscribe(correlationId: string, handler: () => void): () => void {
    this.#emitter.on(correlationId, handler);
    return () => this.#emitter.off(correlationId, handler);
  }
  async close(): Promise<void> {
    this.#emitter.removeAllListeners();
  }
  /** Wakes every subscriber (after events may have been missed, they re-read their sessions). */
  wakeAll(): void {
    for (const name of this.#emitter.eventNames()) this.#emitter.emit(name);
  }
}
