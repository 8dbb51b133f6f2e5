/**
 * @module outcome
 * How a session reads on the wire: `unify-status` / `unify-bind` replies, with the Global Fraud
 * Policy `evaluation` (every entry an object; empty maps omitted; never `null`).
 */
import { FAILURE_REASON_TEXT, FailureReason, type Evaluation, type UnifyOutcome, type UnifyResult } from '@handset/protocol';
import type { SessionsTable } from '../store/schema.js';
import type { SessionState } from './session-types.js';
import { PENDING_STATES } from './session-state.js';
import { SIM_SWAP_REASON_CODE } from '../mobile-auth/camara/sim-swap.js';

export function outcomeOf(state: SessionState): UnifyOutcome {
  if (state === 'succeeded') return 'true';
  if (state === 'failed') return 'false';
  if (state === 'possession_required') return 'possession_required';
  return PENDING_STATES.has(state) ? 'pending' : 'false';
}

function evaluationOf(state: SessionState, reason: string | null, simSwapRisk: string | null): Evaluation | undefined {
  if (state === 'succeeded') {
    // The SIM swap signal (CH4): a recent swap is a risk reason; what it means is policy's business.
    if (simSwapRisk) return { authentication: { result: 'pass' }, risk: { result: 'fail', failureReasons: { [SIM_SWAP_REASON_CODE]: simSwapRisk } } };
    return { authentication: { result: 'pass' } };
  }
  if (state === 'failed' || state === 'possession_required') {
    const code = reason ?? FailureReason.POSSESSION_INCOMPLETE;
    return { authentication: { result: 'fail', failureReasons: { [code]: FAILURE_REASON_TEXT[code] ?? 'Failed.' } } };
  }
  return undefined;
}

/** Builds the reply body, leaving out every absent field. */
export function unifyResult(
  session: Pick<SessionsTable, 'phone_display' | 'prove_id' | 'client_human_id' | 'failure_reason'> & Partial<Pick<SessionsTable, 'sim_swap_risk'>>,
  state: SessionState,
  extra: { clientRequestId?: string | undefined; deviceId?: string | null },
): UnifyResult {
  const result: UnifyResult = { success: outcomeOf(state) };
  if (session.phone_display) result.phoneNumber = session.phone_display;
  if (state === 'succeeded') {
    if (session.prove_id) result.proveId = session.prove_id;
    if (extra.deviceId) result.deviceId = extra.deviceId;
  }
  if (session.client_human_id) result.clientHumanId = session.client_human_id;
  if (extra.clientRequestId) result.clientRequestId = extra.clientRequestId;
  const evaluation = evaluationOf(state, session.failure_reason, session.sim_swap_risk ?? null);
  if (evaluation) result.evaluation = evaluation;
  return result;
}
