/**
 * @module engine
 * Evaluates a validated policy against a step's signals. Every rule is evaluated in file order
 * (each result goes on the session timeline); a rule in shadow mode is recorded but never
 * enforced. The strongest enforced action wins: fail > deny_send > require_otp > flag > allow.
 * An `allow` rule that matches stops evaluation of the rules after it (an explicit exception).
 */
import type { Comparison, Condition, PolicyAction, PolicyFile, Rule } from './policy-schema.js';
import type { SignalName, Signals } from './signals.js';

export interface RuleResult {
  rule: Rule;
  matched: boolean;
  /** Matched and not in shadow mode. */
  enforced: boolean;
  /** The signal values the condition read (for the timeline). */
  inputs: Signals;
}

export interface PolicyDecision {
  /** The strongest enforced action (`allow` when none). */
  action: PolicyAction;
  /** The reason code of the rule that decided the action (absent for `allow`). */
  reason?: number;
  /** Reasons of enforced `flag` rules (risk reasons). */
  flags: number[];
  results: RuleResult[];
}

const STRENGTH: Record<PolicyAction, number> = { allow: 0, flag: 1, require_otp: 2, deny_send: 3, fail: 4 };

function compare(c: Comparison, actual: string | number | undefined): boolean {
  if (actual === undefined) return false;
  switch (c.op) {
    case '==':
      return actual === c.value;
    case '!=':
      return actual !== c.value;
    case 'in':
      return (c.value as string[]).includes(String(actual));
    case 'not_in':
      return !(c.value as string[]).includes(String(actual));
    case '<':
      return (actual as number) < (c.value as number);
    case '<=':
      return (actual as number) <= (c.value as number);
    case '>':
      return (actual as number) > (c.value as number);
    case '>=':
      return (actual as number) >= (c.value as number);
  }
  return false;
}

function comparisonsOf(when: Condition): Comparison[] {
  if ('all' in when) return when.all;
  if ('any' in when) return when.any;
  return [when];
}

/** Whether `when` holds for `signals`. */
export function holds(when: Condition, signals: Signals): boolean {
  if ('all' in when) return when.all.every((c) => compare(c, signals[c.signal as SignalName]));
  if ('any' in when) return when.any.some((c) => compare(c, signals[c.signal as SignalName]));
  return compare(when, signals[when.signal as SignalName]);
}

/** The signals any rule of `policy` reads: the step computes only these (a cheap hot path). */
export function signalsUsed(policy: PolicyFile): Set<SignalName> {
  const used = new Set<SignalName>();
  for (const rule of policy.rules) for (const c of comparisonsOf(rule.when)) used.add(c.signal as SignalName);
  return used;
}

/** Evaluates every rule of `policy`; `enforce(rule)` false turns a rule off for this step (e.g. sandbox send limits). */
export function evaluatePolicy(policy: PolicyFile, signals: Signals, enforce: (rule: Rule) => boolean = () => true): PolicyDecision {
  const decision: PolicyDecision = { action: 'allow', flags: [], results: [] };
  for (const rule of policy.rules) {
    const inputs: Signals = {};
    for (const c of comparisonsOf(rule.when)) inputs[c.signal as SignalName] = signals[c.signal as SignalName];
    const matched = holds(rule.when, signals);
    const enforced = matched && rule.shadow !== true && enforce(rule);
    decision.results.push({ rule, matched, enforced, inputs });
    if (!enforced) continue;
    if (rule.action === 'allow') break;
    if (rule.action === 'flag') decision.flags.push(rule.reason);
    if (STRENGTH[rule.action] > STRENGTH[decision.action]) {
      decision.action = rule.action;
      decision.reason = rule.reason;
    }
  }
  return decision;
}
