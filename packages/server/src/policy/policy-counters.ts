/**
 * @module policy-counters
 * The counters a policy step counts with (policy/window-counters.ts). SQLite: one in-memory set
 * per instance. PostgreSQL: counted through the step's own transaction (a counter set bound to it
 * is a cheap object): a step holding its session's row lock must not wait for a second pool
 * connection (25 sends at once would starve the pool), and a step that rolls back counts nothing.
 * The counter rows stay locked until the step commits, so two steps counting one key are counted
 * one after the other: a cap is exact across instances. Counters counted together at one point
 * take one statement there (http/limiter-batch.ts).
 */
import type { Deps } from '../deps.js';
import type { StepContext } from '../flows/session-tx.js';
import { postgresLimiterBatch } from '../http/limiter-batch.js';
import { limiterStore } from '../http/limiter-store.js';
import { WindowCounters } from './window-counters.js';

const inMemory = new WeakMap<Deps, WindowCounters>();

export function policyCounters(deps: Deps, ctx: Pick<StepContext, 'trx'>): WindowCounters {
  if (deps.db.dialect === 'postgres') return new WindowCounters(limiterStore({ kysely: ctx.trx, dialect: 'postgres' }), postgresLimiterBatch(ctx.trx));
  let counters = inMemory.get(deps);
  if (!counters) inMemory.set(deps, (counters = new WindowCounters(limiterStore(deps.db))));
  return counters;
}
