/**
 * @module sim-swap-signal
 * When the SIM swap signal runs (decision CH4, docs/channels.md "SIM swap signal"): once per
 * succeeded session with a number, at its first `unify-status` read, when an operator with SIM
 * Swap is configured. That is where the integrator decides, it is off the person's flow (their
 * browser is already done), and nothing runs under a row lock. The check is bounded by
 * `HANDSET_SIM_SWAP_TIMEOUT_MS`; an operator that cannot answer gives no reason (never an error).
 * The result is written once (`sim_swap_risk`), so later reads answer the same without asking again.
 */
import type { Deps } from '../deps.js';
import { simSwapRiskReason } from '../mobile-auth/camara/index.js';

/** Whether this read should run the check (cheap: no I/O). */
export function simSwapDue(deps: Deps, session: { state: string; sim_swap_risk: string | null }): boolean {
  return deps.operators?.simSwap !== undefined && session.state === 'succeeded' && session.sim_swap_risk === null;
}

/**
 * Runs the check for the session's number and records it; returns what is recorded (the reason's
 * description, or '' for none). A session without a number records ''.
 */
export async function recordSimSwap(deps: Deps, correlationId: string): Promise<string> {
  const source = deps.operators?.simSwap;
  const row = await deps.db.kysely.selectFrom('sessions').select(['phone_e164', 'sim_swap_risk']).where('correlation_id', '=', correlationId).executeTakeFirst();
  if (!row) return '';
  if (row.sim_swap_risk !== null) return row.sim_swap_risk;
  let risk = '';
  if (source && row.phone_e164) {
    const signal = await source.client.check(row.phone_e164);
    if (signal.status === 'unavailable') deps.log.warn({ reason: signal.reason, detail: signal.detail }, 'sim swap signal unavailable');
    risk = simSwapRiskReason(signal, source.maxAgeHours)?.description ?? '';
  }
  // Only the first answer is kept: two status reads at once record one result.
  await deps.db.kysely.updateTable('sessions').set({ sim_swap_risk: risk }).where('correlation_id', '=', correlationId).where('sim_swap_risk', 'is', null).execute();
  const stored = await deps.db.kysely.selectFrom('sessions').select('sim_swap_risk').where('correlation_id', '=', correlationId).executeTakeFirst();
  return stored?.sim_swap_risk ?? risk;
}
