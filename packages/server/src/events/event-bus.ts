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

/**
 * Every change is handed to the bus twice: {@link EventBus.stage} inside the transaction that
 * makes it, and {@link EventBus.publish} after that transaction has committed. Each bus uses the
 * one that fits its transport: PostgreSQL NOTIFY is staged (delivered to other instances on
 * COMMIT, never on rollback); the in-process bus emits on publish.
 */
export interface EventBus {
  /** Stages the announcement in the transaction `trx` that makes the change (a no-op for in-process buses). */
  stage(trx: Executor, event: SessionChanged): Promise<void>;
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
