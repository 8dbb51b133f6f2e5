/**
 * @module session-tx
 * Runs one step of a session inside a database transaction: lock the row, write down an expiry
 * that is due, let the step decide, write its changes and stage the announcement of a state
 * change (other instances hear it on COMMIT), commit, then announce it to this instance.
 * A step that throws leaves nothing written.
 */
import type { Deps } from '../deps.js';
import type { SessionRow } from '../store/sessions-repo.js';
import { lockSession, updateSession } from '../store/sessions-repo.js';
import type { Executor } from '../store/executor.js';
import { effectiveState, TERMINAL_STATES, transition, type SessionEvent, type Transition } from './session-state.js';

export type SessionLookup = { column: 'correlation_id' | 'auth_id' | 'link_hash' | 'mobile_auth_token'; value: string };

export interface StepContext {
  trx: Executor;
  now: number;
  /**
   * Applies an event through the state machine and stages its state change.
   * Returns null (and stages nothing) when the event is not allowed now.
   */
  apply(event: SessionEvent, extra?: Partial<SessionRow>): Transition | null;
  /** Stages field changes without a state change. */
  stage(changes: Partial<SessionRow>): void;
  /** The session as it will be written (staged changes applied). */
  readonly current: SessionRow;
}

/** The session fields every terminal state writes. */
export function endFields(deps: Deps, now: number): Pick<SessionRow, 'ended_at' | 'purge_at'> {
  return { ended_at: now, purge_at: now + deps.config.outcomeRetentionSeconds * 1000 };
}

/**
 * Runs `step` on the session found by `lookup`. `step` receives null when there is no such
 * session. Returns what `step` returns.
 */
export async function runSessionStep<T>(
  deps: Deps,
  lookup: SessionLookup,
  step: (session: SessionRow | null, ctx: StepContext) => Promise<T>,
): Promise<T> {
  let changed: string | null = null;
  const result = await deps.db.kysely.transaction().execute(async (trx) => {
    const now = deps.clock.now();
    const found = (await lockSession(trx, deps.db.dialect, lookup)) ?? null;
    let current = found;
    const staged: Partial<SessionRow> = {};
    const ctx: StepContext = {
      trx,
      now,
      get current(): SessionRow {
        return current as SessionRow;
      },
      stage(changes) {
        Object.assign(staged, changes);
        current = { ...(current as SessionRow), ...changes };
      },
      apply(event, extra = {}) {
        const next = transition(current as SessionRow, event);
        if (!next) return null;
        const changes: Partial<SessionRow> = { ...extra, state: next.state };
        if (next.reason) changes.failure_reason = next.reason;
        if (TERMINAL_STATES.has(next.state)) Object.assign(changes, endFields(deps, now));
        ctx.stage(changes);
        return next;
      },
    };
    if (current && effectiveState(current, now, deps.config.instantLinkTtlSeconds * 1000) !== current.state) {
      ctx.apply({ type: 'expired' });
    }
    const value = await step(current, ctx);
    if (found && Object.keys(staged).length > 0) {
      await updateSession(trx, found.correlation_id, staged);
      if (staged.state !== undefined && staged.state !== found.state) {
        changed = found.correlation_id;
        // PostgreSQL: NOTIFY inside the transaction, delivered to other instances on COMMIT.
        await deps.bus.stage(trx, { correlationId: changed });
      }
    }
    return value;
  });
  if (changed) await deps.bus.publish({ correlationId: changed });
  return result;
}

/** Writes down an expiry that is due (and announces it), without any other step. */
export async function writeDueExpiry(deps: Deps, lookup: SessionLookup): Promise<void> {
  await runSessionStep(deps, lookup, async () => undefined);
}
