/**
 * @module after-commit
 * Work to do once a transaction has committed (the courier's nudge: a dispatcher woken before the
 * commit would not see the message yet). A callback registered on a transaction runs only when the
 * code that owns the transaction calls {@link transactionCommitted}; a rolled-back transaction's
 * callbacks are dropped with it. Registered outside a transaction, a callback runs on the next tick.
 */
import type { Executor } from './executor.js';

const pending = new WeakMap<object, Array<() => void>>();

/** Runs `fn` after `q` commits (or soon, when `q` is not a transaction). */
export function afterCommit(q: Executor, fn: () => void): void {
  if (!q.isTransaction) {
    setImmediate(fn);
    return;
  }
  const list = pending.get(q);
  if (list) list.push(fn);
  else pending.set(q, [fn]);
}

/** Called by a transaction's owner once it committed: runs what was registered on it. */
export function transactionCommitted(q: Executor): void {
  const list = pending.get(q);
  if (!list) return;
  pending.delete(q);
  for (const fn of list) fn();
}
