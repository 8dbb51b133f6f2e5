/**
 * @module send-guard
 * The policy's enforcement point before a text is queued (OTP and Instant Link: first send,
 * resend, change of number). Computes only the signals the loaded policy reads, evaluates every
 * rule, writes each evaluated rule to the session's timeline in the step's transaction (so a
 * step that rolls back leaves no entry), counts matched rules in `handset_policy_decisions_total`,
 * and tells the step whether the text may go out.
 */
import type { Deps } from '../deps.js';
import type { StepContext } from '../flows/session-tx.js';
import { appendSessionEvents, type SessionEventInput } from '../store/session-events-repo.js';
import { evaluatePolicy, type PolicyDecision, type RuleResult } from './engine.js';
import { numberSignals } from './number-signals.js';
import type { Signals } from './signals.js';

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

/** Evaluates the policy for a text about to go to `to`; records every rule on the timeline. */
export async function guardSend(deps: Deps, ctx: StepContext, to: string): Promise<PolicyDecision> {
  const { policy, signals: used } = deps.policy.current;
  if (policy.rules.length === 0) return { action: 'allow', flags: [], results: [] };
  const signals: Signals = used.has('line_type') || used.has('country') ? numberSignals(to) : {};
  const decision = evaluatePolicy(policy, signals);
  await appendSessionEvents(
    ctx.trx,
    deps.db.dialect,
    decision.results.map((r) => ruleEntry(ctx, r)),
  );
  for (const r of decision.results) if (r.matched) deps.metrics.policyDecision(r.rule.id, r.rule.shadow ? 'shadow' : r.rule.action);
  if (decision.action === 'deny_send') {
    deps.log.warn({ correlationId: ctx.session.correlation_id, reason: decision.reason }, 'policy: text denied');
  }
  return decision;
}
