/**
 * @module maintenance
 * Periodic clean-up: expired access tokens and challenges, sessions past their retention, and
 * request-budget windows older than a minute, and abuse-bound windows that have ended.
 */
import type { Executor } from './executor.js';
import { purgeSessions } from './sessions-repo.js';

export async function purgeExpired(q: Executor, now: number): Promise<void> {
  await purgeSessions(q, now);
  await q.deleteFrom('access_tokens').where('expires_at', '<=', now).execute();
  await q.deleteFrom('challenges').where('expires_at', '<=', now).execute();
  await q.deleteFrom('rate_counters').where('window_start', '<', now - 60_000).execute();
  await q.deleteFrom('rate_limits').where('expire', '<', now).execute();
}
