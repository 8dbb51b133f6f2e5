/**
 * @module session-tx
 * Runs one step of a session inside a database transaction: lock the row, write down an expiry
 * that is due, let the step decide (through the state machine), write its changes and stage the
 * announcement of a state change (other instances hear it on COMMIT), append what the machine
 * judged to the session's timeline, commit, then announce it to this instance. A step that throws
 * leaves nothing written, timeline included.
 */
import type { Deps } from '../deps.js';
import type { SessionRow } from '../store/sessions-repo.js';
import { lockSession, updateSession } from '../store/sessions-repo.js';
import type { Executor } from '../store/executor.js';
import { appendSessionEvents, type SessionEventInput } from '../store/session-events-repo.js';
import { transactionCommitted } from '../store/after-commit.js';
import { enqueueSessionChange } from '../webhooks/session-events.js';
import { webhookEnqueueDeps } from '../webhooks/wiring.js';
import { timelineEntry } from './timeline.js';
import { domainError } from './domain-error.js';
import { decide, effectiveState, TERMINAL_STATES, type Decision, type GuardedField, type SessionEvent } from './session-state.js';

export type SessionLookup = {
  column: 'correlation_id' | 'auth_id' | 'link_hash' | 'mobile_auth_token';
  value: string;
  /**
   * The id (`jti`) of the authToken the caller presented: the session found must be the live one
   * that token was minted for, or the step is refused as unauthenticated (see {@link bySessionToken}).
   */
  tokenId?: string;
};

/** A verified authToken's session (`auth.id`) and token id (`jti`), as the client-protocol hook found them. */
export interface SessionToken {
  authId: string;
  tokenId: string;
}

/** Why a verified authToken is refused when its session is gone (purged) or is not the one it was minted for. */
export const NOT_A_LIVE_SESSION = 'the authToken does not belong to a live session';

/**
 * The lookup of the session an authToken belongs to. The step checks the token against the row it
 * locks (the same read), instead of the authentication hook reading the session once more before
 * it: one statement (on PostgreSQL one round trip) fewer per client call (bench/README.md).
 */
export const bySessionToken = (token: SessionToken): TokenLookup => ({ column: 'auth_id', value: token.authId, tokenId: token.tokenId });

/** A lookup by an authToken: it never answers "missing" (a gone session is refused as unauthenticated). */
export type TokenLookup = SessionLookup & { tokenId: string };

/** The fields a step may stage itself; the guarded ones change only through `apply`. */
export type StepFields = Omit<Partial<SessionRow>, GuardedField>;

export interface StepContext {
  trx: Executor;
  now: number;
  /** The session as it will be written (staged changes applied). */
  readonly session: SessionRow;
  /**
   * Asks the state machine about `event` and, when it is allowed, stages the new state and the
   * fields that go with it. A refusal stages nothing.
   */
  apply(event: SessionEvent): Decision;
  /** True when the state machine would allow `event` now (nothing is staged). */
  permits(event: SessionEvent): boolean;
  /** Stages field changes the state machine does not own (proof hashes, timestamps, device id). */
  stage(changes: StepFields): void;
  /**
   * Adds entries of the step's own (the fraud policy's rule results) to its timeline, after what
   * it judged so far: written with the rest in one statement when the step commits.
   */
  record(entries: readonly SessionEventInput[]): void;
}

/** The session fields every terminal state writes. */
export function endFields(deps: Deps, now: number): Pick<SessionRow, 'ended_at' | 'purge_at'> {
  return { ended_at: now, purge_at: now + deps.config.outcomeRetentionSeconds * 1000 };
}

/**
 * Runs `step` on the session found by `lookup`, or answers `missing()` when there is none (a
 * purged session, an unknown link). Returns what the step returns. A lookup by an authToken
 * ({@link bySessionToken}) takes no `missing`: it throws `unauthenticated` when the session is
 * gone or is not the token's.
 */
export async function runSessionStep<T>(deps: Deps, lookup: TokenLookup, step: (ctx: StepContext) => Promise<T>): Promise<T>;
export async function runSessionStep<T>(deps: Deps, lookup: SessionLookup, step: (ctx: StepContext) => Promise<T>, missing: () => T): Promise<T>;
export async function runSessionStep<T>(
  deps: Deps,
  lookup: SessionLookup,
  step: (ctx: StepContext) => Promise<T>,
  missing?: () => T,
): Promise<T> {
  let changed: string | null = null;
  // Assigned inside the transaction callback; the assertion keeps TypeScript from narrowing it to null.
  let change = null as { from: SessionRow; to: SessionRow } | null;
  let transaction = null as Executor | null;
  const result = await deps.db.kysely.transaction().execute(async (trx) => {
    transaction = trx;
    const found = await lockSession(trx, deps.db.dialect, lookup);
    if (lookup.tokenId !== undefined && found?.token_id !== lookup.tokenId) throw domainError('unauthenticated', NOT_A_LIVE_SESSION);
    // Only a lookup without a token reaches here without a row, and those pass `missing` (the overloads).
    if (!found) return missing!();
    const now = deps.clock.now();
    let current: SessionRow = found;
    const staged: Partial<SessionRow> = {};
    // What the machine (and the policy) judged in this step, in order: written with it in one
    // statement, so a rollback leaves no entry.
    const timeline: SessionEventInput[] = [];
    // Whether a decision of this step binds the session's device key (settle.ts writes the binding).
    let bindsDevice = false;
    const stageAny = (changes: Partial<SessionRow>): void => {
      Object.assign(staged, changes);
      current = { ...current, ...changes };
    };
    const ctx: StepContext = {
      trx,
      now,
      get session(): SessionRow {
        return current;
      },
      stage: stageAny,
      record: (entries) => void timeline.push(...entries),
      permits: (event) => decide(current, event).ok,
      apply(event) {
        const decision = decide(current, event);
        timeline.push(timelineEntry(current, event, decision, now));
        if (decision.ok && decision.bindDevice) bindsDevice = true;
        if (decision.ok) {
          stageAny(TERMINAL_STATES.has(decision.state) ? { ...decision.changes, ...endFields(deps, now) } : decision.changes);
        }
        return decision;
      },
    };
    if (effectiveState(current, now, deps.config.instantLinkTtlSeconds * 1000) !== current.state) {
      ctx.apply({ type: 'expired' });
    }
    const value = await step(ctx);
    if (Object.keys(staged).length > 0) {
      await updateSession(trx, found.correlation_id, staged);
      if (staged.state !== undefined && staged.state !== found.state) {
        changed = found.correlation_id;
        change = { from: found, to: current };
        // Outcome webhooks in the same transaction: a rolled-back step enqueues nothing.
        await enqueueSessionChange(trx, webhookEnqueueDeps(deps), found, current, bindsDevice);
      }
    }
    // PostgreSQL: the NOTIFY of a state change is sent in the transaction (delivered to other
    // instances on COMMIT) by the statement that writes the timeline: one round trip for both.
    const notify = changed ? deps.bus.notifyFor({ correlationId: changed }) : null;
    await appendSessionEvents(trx, deps.db.dialect, timeline, notify);
    return value;
  });
  // After-commit work (the courier's nudge) runs only now that the step's writes are visible.
  if (transaction) transactionCommitted(transaction);
  // Counted once committed: a step rolled back changed nothing.
  if (change) deps.metrics.sessionChanged(change.to.possession_type, change.from.state, change.to.state, change.to.device_match);
  if (changed) await deps.bus.publish({ correlationId: changed });
  return result;
}

/** Writes down an expiry that is due (and announces it), without any other step. */
export async function writeDueExpiry(deps: Deps, lookup: SessionLookup): Promise<void> {
  await runSessionStep(deps, lookup, async () => undefined, () => undefined);
}
