/**
 * @module verify-guard
 * The policy at a code check (the verification point). Every check, right or wrong, is counted
 * per number and per device key across sessions (policy/verification-attempts.ts); the rules that
 * read those counts are evaluated and recorded on the timeline like the send's. An enforced
 * `deny_send` or `fail` rule refuses the check: the code is not compared and the check counts as
 * a wrong code, so the session answers exactly as for a wrong code (and fails at its own attempt
 * cap): a brute force that opens session after session learns nothing past the cap.
 *
 * Also counts a used text for the conversion rates (policy/conversion.ts) when a check succeeds.
 * Only the signals the loaded policy reads are computed: a policy without them costs nothing here.
 */
import type { Deps } from '../deps.js';
import type { StepContext } from '../flows/session-tx.js';
import { countUse, isConversionSignal } from './conversion.js';
import { evaluatePolicy, type PolicyDecision } from './engine.js';
import { numberSignals } from './number-signals.js';
import { policyCounters } from './policy-counters.js';
import type { Rule } from './policy-schema.js';
import { recordRuleResults } from './send-guard.js';
import { isVerificationSignal, verificationAttempts } from './verification-attempts.js';

const ALLOW: PolicyDecision = { action: 'allow', flags: [], results: [] };

function readsVerifications(rule: Rule): boolean {
  const read = 'all' in rule.when ? rule.when.all : 'any' in rule.when ? rule.when.any : [rule.when];
  return read.some((c) => isVerificationSignal(c.signal));
}

/** Counts this code check and evaluates the rules over verification attempts. */
export async function guardCodeCheck(deps: Deps, ctx: StepContext): Promise<PolicyDecision> {
  const { policy, signals: used } = deps.policy.current;
  const counted = [...used].filter(isVerificationSignal);
  if (counted.length === 0) return ALLOW;
  const keys = { number: ctx.session.phone_e164, device_key: ctx.session.device_id };
  const signals = await verificationAttempts(policyCounters(deps, ctx), counted, keys, 'count');
  const decision = evaluatePolicy({ ...policy, rules: policy.rules.filter(readsVerifications) }, signals);
  await recordRuleResults(deps, ctx, decision);
  if (refusesCheck(decision)) deps.log.warn({ correlationId: ctx.session.correlation_id, reason: decision.reason }, 'policy: code check refused');
  return decision;
}

/** Whether the check is refused (the code is not compared). */
export function refusesCheck(decision: PolicyDecision): boolean {
  return decision.action === 'deny_send' || decision.action === 'fail';
}

/** A text was used (a right code, an opened link): counted for the conversion rates the policy reads. */
export async function countUsedText(deps: Deps, ctx: StepContext, number: string | null): Promise<void> {
  const rates = [...deps.policy.current.signals].filter(isConversionSignal);
  if (rates.length === 0 || number === null) return;
  // The country (a libphonenumber lookup) only when a rate per country is read.
  const country = rates.includes('conversion_per_country_24h') ? numberSignals(number).country : 'unknown';
  await countUse(policyCounters(deps, ctx), rates, number, country);
}
