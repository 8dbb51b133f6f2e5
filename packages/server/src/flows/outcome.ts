/**
 * @module outcome
 * How a session reads on the wire: `unify-status` / `unify-bind` replies, with the Global Fraud
 * Policy `evaluation` (every entry an object; empty maps omitted; never `null`).
 */
import { FAILURE_REASON_TEXT, FailureReason, POLICY_REASON_TEXT, type Evaluation, type EvaluationEntry, type UnifyOutcome, type UnifyResult } from '@handset/protocol';
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

const reasonText = (code: string): string => FAILURE_REASON_TEXT[code] ?? POLICY_REASON_TEXT;

/**
 * `evaluation.risk`: the fraud policy's recorded reasons (enforced flag, deny_send and require_otp
 * rules, `policy_reasons`) and a recent SIM swap (9135); absent when there is none.
 */
function riskOf(policyReasons: string | null, simSwapRisk: string | null): EvaluationEntry | undefined {
  const reasons: Record<string, string> = {};
  for (const code of policyReasons ? policyReasons.split(',') : []) reasons[code] = reasonText(code);
  // The SIM swap signal (CH4): a recent swap is a risk reason; what it means is policy's business.
  if (simSwapRisk) reasons[SIM_SWAP_REASON_CODE] = simSwapRisk;
  return Object.keys(reasons).length > 0 ? { result: 'fail', failureReasons: reasons } : undefined;
}

/**
 * `authentication` says whether possession was proven (and why not: the machine's 9100, 9101,
 * 9801, or an enforced `fail` rule's reason); `risk` carries the reasons that did not decide it.
 * Pending sessions have no evaluation yet.
 */
function evaluationOf(state: SessionState, reason: string | null, risk: EvaluationEntry | undefined): Evaluation | undefined {
  let authentication: EvaluationEntry;
  if (state === 'succeeded') authentication = { result: 'pass' };
  else if (state === 'failed' || state === 'possession_required') {
    const code = reason ?? FailureReason.POSSESSION_INCOMPLETE;
    authentication = { result: 'fail', failureReasons: { [code]: reasonText(code) } };
  } else return undefined;
  return risk ? { authentication, risk } : { authentication };
}

/** Builds the reply body, leaving out every absent field. */
export function unifyResult(
  session: Pick<SessionsTable, 'phone_display' | 'prove_id' | 'client_human_id' | 'failure_reason'> & Partial<Pick<SessionsTable, 'sim_swap_risk' | 'policy_reasons'>>,
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
  const evaluation = evaluationOf(state, session.failure_reason, riskOf(session.policy_reasons ?? null, session.sim_swap_risk ?? null));
  if (evaluation) result.evaluation = evaluation;
  return result;
}
