/**
 * @module event-bus
 * The EventBus port: "session X changed". Payloads carry identifiers only; receivers re-read
 * the session from the database, so a lost or duplicated event is harmless.
 */
import { EventEmitter } from 'node:events';

export interface SessionChanged {
  correlationId: string;
}

export interface EventBus {
  /** Announces a change; call it after the change has been committed. */
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
}
