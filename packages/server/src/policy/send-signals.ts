/**
 * @module send-signals
 * The signals computed at a send besides the number's own and the send counters
 * (policy/point-signals.ts computes those): verification attempts so far, conversion rates, session
 * facts and the SMS budget. Each is computed only when the loaded policy reads it. What must
 * happen once the decision is known (give an unsent text back to the budget, count an allowed
 * change of number, log a budget alert) is returned as `afterDecision`.
 */
import type { Deps } from '../deps.js';
import type { StepContext } from '../flows/session-tx.js';
import { CONVERSION_VOLUME, conversionRates, isConversionSignal } from './conversion.js';
import type { PolicyDecision } from './engine.js';
import { countNumberChange, distinctNumbersPerDeviceKey, numberChanges } from './session-facts.js';
import type { SignalName, Signals } from './signals.js';
import { alertBudgetExhausted, isBudgetSignal, spendBudget, type BudgetSignal } from './sms-budget.js';
import { isVerificationSignal, verificationAttempts } from './verification-attempts.js';
import type { VelocitySignal } from './velocity.js';
import type { WindowCounters } from './window-counters.js';

/** Send counters a rate divides by, counted even when no rule reads them directly. */
export function sendCountersNeeded(used: ReadonlySet<SignalName>): VelocitySignal[] {
  return [...used].filter(isConversionSignal).map((s) => CONVERSION_VOLUME[s]);
}

/** Whether the number's country is needed (a rate per country, a price per country). */
export function needsCountry(used: ReadonlySet<SignalName>): boolean {
  return used.has('conversion_per_country_24h') || used.has('budget_client_cost_used') || used.has('budget_total_cost_used');
}

export type AfterDecision = (decision: PolicyDecision) => Promise<void>;

/** Adds the signals the policy reads to `signals` (which already holds country and send counts). */
export async function addSendSignals(
  deps: Deps,
  ctx: StepContext,
  counters: WindowCounters,
  to: string,
  used: ReadonlySet<SignalName>,
  signals: Signals,
): Promise<AfterDecision> {
  const session = ctx.session;
  const country = String(signals.country ?? 'unknown');
  const names = [...used];
  const verifications = names.filter(isVerificationSignal);
  if (verifications.length) Object.assign(signals, await verificationAttempts(counters, verifications, { number: to, device_key: session.device_id }, 'read'));
  const rates = names.filter(isConversionSignal);
  if (rates.length) Object.assign(signals, await conversionRates(counters, rates, to, country, signals));
  if (used.has('number_changes')) signals.number_changes = await numberChanges(counters, session.correlation_id);
  if (used.has('distinct_numbers_per_device_key_24h') && session.device_id) {
    signals.distinct_numbers_per_device_key_24h = await distinctNumbersPerDeviceKey(counters, session.device_id, to);
  }
  const budgets = names.filter(isBudgetSignal);
  const spend = budgets.length
    ? await spendBudget(counters, budgets, { client: session.client_id, country, now: ctx.now, prices: deps.policy.current.policy.prices })
    : null;
  if (spend) Object.assign(signals, spend.signals);

  return async (decision) => {
    const sent = decision.action !== 'deny_send';
    const isChange = session.phone_e164 !== null && to !== session.phone_e164;
    if (sent && isChange && used.has('number_changes')) await countNumberChange(counters, session.correlation_id);
    if (!spend || sent) return;
    await spend.giveBack();
    for (const r of decision.results) {
      const read = Object.keys(r.inputs).filter(isBudgetSignal) as BudgetSignal[];
      if (!r.enforced || r.rule.action !== 'deny_send' || read.length === 0) continue;
      await alertBudgetExhausted(counters, deps.log, { rule: r.rule.id, reason: r.rule.reason, signals: read, client: session.client_id, now: ctx.now, spent: spend.signals });
    }
  };
}
