/**
 * @module webhooks/wiring
 * Which webhook dispatchers run on a database in this process, so code that enqueues (a session
 * step, a revocation, the fraud policy) can wake them after its commit without each caller
 * threading a dispatcher through. startServer registers its dispatcher; close unregisters it.
 * Settings come from the environment (docs/webhooks.md "Configuration").
 */
import type { Db } from '../store/database.js';
import type { WebhookSettings } from './dispatcher.js';
import type { WebhookEnqueueDeps } from './events.js';

const running = new WeakMap<Db, Set<{ nudge(): void }>>();

/** Registers a dispatcher working on `db`; returns its unregistration. */
export function registerWebhookDispatcher(db: Db, dispatcher: { nudge(): void }): () => void {
  let set = running.get(db);
  if (!set) running.set(db, (set = new Set()));
  set.add(dispatcher);
  return () => set.delete(dispatcher);
}

/** What {@link enqueueWebhookEvent} needs, from a server's deps. */
export function webhookEnqueueDeps(deps: { db: Db; clock: { now(): number }; random: { uuid(): string } }): WebhookEnqueueDeps {
  return {
    clock: deps.clock,
    random: deps.random,
    nudgeWebhooks: () => {
      for (const d of running.get(deps.db) ?? []) d.nudge();
    },
  };
}

function positive(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer (milliseconds)`);
  return value;
}

/** HANDSET_WEBHOOK_RETRY_BASE_MS, HANDSET_WEBHOOK_POLL_MS, HANDSET_WEBHOOK_TIMEOUT_MS. */
export function webhookSettingsFromEnv(env: NodeJS.ProcessEnv): Partial<WebhookSettings> {
  const base = positive(env, 'HANDSET_WEBHOOK_RETRY_BASE_MS');
  const poll = positive(env, 'HANDSET_WEBHOOK_POLL_MS');
  const timeout = positive(env, 'HANDSET_WEBHOOK_TIMEOUT_MS');
  return {
    ...(base !== undefined ? { backoff: { baseMs: base, maxMs: Math.max(base, 3600_000) } } : {}),
    ...(poll !== undefined ? { pollMs: poll } : {}),
    ...(timeout !== undefined ? { timeoutMs: timeout } : {}),
  };
}
