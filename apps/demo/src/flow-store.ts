/**
 * @module flow-store
 * The back end's memory of the flows it started, keyed by the authToken's `auth.id` (the id the
 * browser SDK gives the finish step). Each flow keeps Handset's `correlationId`, which never
 * reaches the browser. Flows are forgotten 30 minutes after they start (Handset sessions last 15).
 *
 * The authId works as a capability here: whoever holds it may read that flow's outcome. A real
 * integrator would also tie the flow to its own user session; the demo has no accounts.
 */
import type { DemoFlow } from './explain.js';
import type { PendingCheck } from './possession-check.js';

/** One flow the demo started. */
export interface FlowRecord {
  authId: string;
  correlationId: string;
  flow: DemoFlow;
  /**
   * The number as the person typed it (compacted); sent again to `unify-bind`. A returning
   * customer's flow starts without one; the person gives it only if the demo's own check is needed.
   */
  phoneNumber?: string;
  /** Whether the flow was started with `rebind: true`. */
  rebind: boolean;
  startedAt: number;
  /** The demo's own possession check, while one is waiting for its code. */
  check?: PendingCheck;
  /** Handset answered `possession_required` and nothing has been bound yet. */
  possessionRequired?: boolean;
}

const KEEP_MS = 30 * 60_000;
const MAX_FLOWS = 10_000;

/** An in-memory, size- and time-bounded map of flows. */
export class FlowStore {
  readonly #flows = new Map<string, FlowRecord>();

  add(record: FlowRecord): void {
    this.sweep(record.startedAt);
    if (this.#flows.size >= MAX_FLOWS) {
      const oldest = this.#flows.keys().next().value;
      if (oldest !== undefined) this.#flows.delete(oldest);
    }
    this.#flows.set(record.authId, record);
  }

  get(authId: string, now: number): FlowRecord | undefined {
    const record = this.#flows.get(authId);
    if (record && now - record.startedAt > KEEP_MS) {
      this.#flows.delete(authId);
      return undefined;
    }
    return record;
  }

  /** Drops flows older than 30 minutes (insertion order is start order). */
  sweep(now: number): void {
    for (const [authId, record] of this.#flows) {
      if (now - record.startedAt <= KEEP_MS) break;
      this.#flows.delete(authId);
    }
  }
}
