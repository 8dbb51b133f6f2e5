/**
 * @module send-guard
 * The policy's enforcement point before a text is queued (OTP and Instant Link: first send,
 * resend, change of number). Computes only the signals the loaded policy reads, evaluates every
 * rule, writes each evaluated rule to the session's timeline in the step's transaction (so a
 * step that rolls back leaves no entry), counts matched rules in `handset_policy_decisions_total`,
 * and tells the step whether the text may go out. In sandbox mode rules over send counters and
 * the SMS budget are evaluated and recorded (`off`) but not enforced.
 */
import type { Deps } from '../deps.js';
import type { StepContext } from '../flows/session-tx.js';
import { appendSessionEvents, type SessionEventInput } from '../store/session-events-repo.js';
import { evaluatePolicy, type PolicyDecision, type RuleResult } from './engine.js';
import { numberSignals } from './number-signals.js';
import type { Rule } from './policy-schema.js';
import type { SignalName, Signals } from './signals.js';
import { VELOCITY_SIGNALS, VelocityCounters, type VelocitySignal } from './velocity.js';
import { policyCounters } from './policy-counters.js';
import { addSendSignals, needsCountry, sendCountersNeeded } from './send-signals.js';

const isVelocity = (name: SignalName): name is VelocitySignal => (VELOCITY_SIGNALS as readonly string[]).includes(name);

/** Sandbox sends nothing real: rules over send counters or the SMS budget are evaluated there but never enforced. */
function sandboxEnforces(rule: Rule): boolean {
  const read = 'all' in rule.when ? rule.when.all : 'any' in rule.when ? rule.when.any : [rule.when];
  return !read.some((c) => c.signal.startsWith('sends_per_') || c.signal.startsWith('budget_'));
}

/** `line_type=premium_rate,country=GB`: what the rule read (never a number, code or token). */
function inputsText(inputs: Signals): string {
  return Object.entries(inputs)
    .map(([name, value]) => `${name}=${value ?? '(none)'}`)
    .join(',');
}

/**
 * A rule's timeline entry: type `policy:<rule id>`; reason `<matched|not_matched>:<action>:
 * <enforced|shadow|off>:<code>`; channel `policy`; destination holds the inputs (docs/fraud-policy.md).
 */
function ruleEntry(ctx: StepContext, r: RuleResult): SessionEventInput {
  const mode = r.rule.shadow ? 'shadow' : r.enforced || !r.matched ? 'enforced' : 'off';
  return {
    correlation_id: ctx.session.correlation_id,
    at: ctx.now,
    type: `policy:${r.rule.id}`,
    from_state: ctx.session.state,
    to_state: ctx.session.state,
    reason: `${r.matched ? 'matched' : 'not_matched'}:${r.rule.action}:${mode}:${r.rule.reason}`,
    channel: 'policy',
    destination: inputsText(r.inputs),
  };
}

/** Writes each evaluated rule to the session's timeline (in the step's transaction) and counts matched ones. */
export async function recordRuleResults(deps: Deps, ctx: StepContext, decision: PolicyDecision): Promise<void> {
  await appendSessionEvents(
    ctx.trx,
    deps.db.dialect,
    decision.results.map((r) => ruleEntry(ctx, r)),
  );
  for (const r of decision.results) if (r.matched) deps.metrics.policyDecision(r.rule.id, r.rule.shadow ? 'shadow' : r.rule.action);
}

/** Evaluates the policy for a text about to go to `to`; records every rule on the timeline. */
export async function guardSend(deps: Deps, ctx: StepContext, to: string): Promise<PolicyDecision> {
  const { policy, signals: used } = deps.policy.current;
  if (policy.rules.length === 0) return { action: 'allow', flags: [], results: [] };
  const needsNumber = used.has('line_type') || used.has('country') || used.has('sends_per_country_1h') || used.has('sends_per_country_24h') || needsCountry(used);
  const signals: Signals = needsNumber ? numberSignals(to) : {};
  const session = ctx.session;
  if (used.has('resends')) signals.resends = session.otp_resends + session.link_resends;
  if (used.has('wrong_codes')) signals.wrong_codes = session.otp_attempts;
  const counters = policyCounters(deps, ctx);
  const velocity = new Set([...[...used].filter(isVelocity), ...sendCountersNeeded(used)]);
  if (velocity.size > 0) {
    const keys = { number: to, country: String(signals.country ?? 'unknown'), client: session.client_id, ip: session.ip_address, device_key: session.device_id };
    Object.assign(signals, await new VelocityCounters(counters).count(velocity, keys));
  }
  // Verification attempts, conversion rates, session facts, the SMS budget (policy/send-signals.ts).
  const afterDecision = await addSendSignals(deps, ctx, counters, to, used, signals);
  const decision = evaluatePolicy(policy, signals, deps.config.sandbox ? sandboxEnforces : undefined);
  await afterDecision(decision);
  await recordRuleResults(deps, ctx, decision);
  if (decision.action === 'deny_send') {
    deps.log.warn({ correlationId: ctx.session.correlation_id, reason: decision.reason }, 'policy: text denied');
  }
  return decision;
}
