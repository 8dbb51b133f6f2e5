/**
 * @module guard
 * The policy's enforcement points (policy/points.ts): before a text is queued (`guardSend`),
 * before a Mobile Auth attempt (`guardMobileAuth`), at a code check or a link opening
 * (`guardVerify`). Each runs inside the step's transaction, only for a step the state machine
 * would allow, and only the rules of its point. It computes only the signals those rules read,
 * evaluates every rule, writes each to the session's timeline, counts matched rules in
 * `handset_policy_decisions_total`, and carries out what every step has in common:
 *
 * - the reasons of enforced `flag`, `deny_send` and `require_otp` rules are added to the session's
 *   `policy_reasons` (reported under `evaluation.risk`);
 * - an enforced `fail` ends the session (`policy_failed`, with the rule's reason: the state change
 *   wakes the status socket and raises `session.failed`);
 * - a denied send or a failed session raises `fraud.denied`.
 *
 * What is particular to a step (no text for `deny_send`, the OTP fallback for `require_otp`, the
 * reply) is the caller's. Everything is written in the step's transaction: a step that rolls back
 * leaves no entry, no reason, no webhook (the rule entries go on the step's timeline, written
 * with its other entries when it commits). In sandbox mode rules over send counters and the SMS
 * budget are evaluated and recorded (`off`) but not enforced.
 *
 * At `send` the signals' after-decision step runs once the decision is known (an unsent text is
 * given back to the SMS budget, an allowed change of number is counted: policy/send-signals.ts).
 */
import type { Deps } from '../deps.js';
import type { StepContext } from '../flows/session-tx.js';
import type { SessionEventInput } from '../store/session-events-repo.js';
import { enqueueWebhookEvent } from '../webhooks/events.js';
import { webhookEnqueueDeps } from '../webhooks/wiring.js';
import { evaluatePolicy, type PolicyDecision, type RuleResult } from './engine.js';
import { mobileAuthSignals, sendSignals, verifySignals, type PointSignals, type Verification } from './point-signals.js';
import type { PolicyPoint } from './points.js';
import type { PolicyAction, Rule } from './policy-schema.js';
import type { SignalName, Signals } from './signals.js';

const ALLOW: PolicyDecision = Object.freeze({ action: 'allow', flags: [], results: [] }) as PolicyDecision;

/** Actions whose reasons are recorded on the session for `evaluation.risk` (a `fail` reason is the session's failure reason). */
const RECORDED: ReadonlySet<PolicyAction> = new Set(['flag', 'deny_send', 'require_otp']);

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

/** `9802,9131`: the session's recorded reasons with the new ones added (each once, first-fired order). */
export function withReasons(recorded: string | null, added: number[]): string | null {
  const codes = recorded ? recorded.split(',') : [];
  for (const code of added) if (!codes.includes(String(code))) codes.push(String(code));
  return codes.length > 0 ? codes.join(',') : null;
}

/** Evaluates the rules of `point`; records, counts and carries out the common effects (module comment). */
async function guard(
  deps: Deps,
  ctx: StepContext,
  point: PolicyPoint,
  /** The number the step is about (a send's destination; else the session's), for `fraud.denied`. */
  phoneE164: string | null,
  signalsFor: (used: Set<SignalName>) => Promise<PointSignals>,
): Promise<PolicyDecision> {
  const { policy, signals: used } = deps.policy.current.at[point];
  if (policy.rules.length === 0) return ALLOW;
  const { signals, afterDecision } = await signalsFor(used);
  const decision = evaluatePolicy(policy, signals, deps.config.sandbox ? sandboxEnforces : undefined);
  if (afterDecision) await afterDecision(decision);
  ctx.record(decision.results.map((r) => ruleEntry(ctx, r)));
  for (const r of decision.results) if (r.matched) deps.metrics.policyDecision(r.rule.id, r.rule.shadow ? 'shadow' : r.rule.action);

  const recorded = decision.results.filter((r) => r.enforced && RECORDED.has(r.rule.action)).map((r) => r.rule.reason);
  if (recorded.length > 0) ctx.stage({ policy_reasons: withReasons(ctx.session.policy_reasons, recorded) });
  if (decision.action === 'deny_send' || decision.action === 'fail') {
    const session = ctx.session;
    const rule = decision.results.find((r) => r.enforced && r.rule.action === decision.action)!.rule;
    deps.log.warn({ correlationId: session.correlation_id, point, rule: rule.id, reason: decision.reason }, `policy: ${decision.action === 'fail' ? 'session failed' : 'text denied'}`);
    await enqueueWebhookEvent(ctx.trx, webhookEnqueueDeps(deps), {
      type: 'fraud.denied',
      clientId: session.client_id,
      phoneE164,
      data: { correlationId: session.correlation_id, possessionType: session.possession_type, point, action: decision.action, rule: rule.id, reason: String(decision.reason) },
    });
  }
  if (decision.action === 'fail') ctx.apply({ type: 'policy_failed', reason: String(decision.reason) });
  return decision;
}

/**
 * `send`: a text is about to go to `to`. `deny_send`: the caller queues nothing; `fail`: the
 * session has ended.
 */
export function guardSend(deps: Deps, ctx: StepContext, to: string): Promise<PolicyDecision> {
  return guard(deps, ctx, 'send', to, (used) => sendSignals(deps, ctx, to, used));
}

/** `mobile_auth`: a Mobile Auth attempt is about to start. `require_otp`: the caller refuses it; `fail`: the session has ended. */
export function guardMobileAuth(deps: Deps, ctx: StepContext): Promise<PolicyDecision> {
  return guard(deps, ctx, 'mobile_auth', ctx.session.phone_e164, (used) => mobileAuthSignals(deps, ctx, used));
}

/**
 * `verify`: a code is about to be checked (`code`: counted as a verification attempt), or an
 * Instant Link was opened (`link`). `fail`: the session has ended (the code is never compared).
 */
export function guardVerify(deps: Deps, ctx: StepContext, what: Verification): Promise<PolicyDecision> {
  return guard(deps, ctx, 'verify', ctx.session.phone_e164, (used) => verifySignals(deps, ctx, used, what));
}
