/**
 * @module points
 * Where the policy is evaluated (docs/fraud-policy.md "Evaluation points"): `send` (before a text
 * is queued), `mobile_auth` (before a Mobile Auth attempt starts) and `verify` (at an OTP code
 * check and at an Instant Link opening). A rule names its points in `at` (default `["send"]`);
 * each point evaluates only its own rules, so a point no rule names computes nothing.
 *
 * Chosen over a `step` signal: a signal would make every rule run at every point, and a rule over
 * a send counter would then count a send at each code check.
 */
import { POLICY_POINTS, type PolicyAction, type PolicyFile, type PolicyPoint, type Rule } from './policy-schema.js';
import type { SignalName } from './signals.js';

export { POLICY_POINTS, type PolicyPoint };

/** The points of a rule without `at`. */
export const DEFAULT_POINTS: readonly PolicyPoint[] = ['send'];

/** Actions that mean something at some points only (any other action may be used anywhere). */
export const ACTION_POINTS: Partial<Record<PolicyAction, readonly PolicyPoint[]>> = {
  /** Only a send has a text to deny. */
  deny_send: ['send'],
  /** Refuses the Mobile Auth attempt; the SDK falls back to OTP. */
  require_otp: ['mobile_auth'],
};

/** Signals computed at some points only; a signal not listed here is computed at every point. */
export const SIGNAL_POINTS: Partial<Record<SignalName, readonly PolicyPoint[]>> = {
  // Send counters count the send they are read at: read anywhere else they would count a phantom send.
  sends_per_number_1h: ['send'],
  sends_per_number_24h: ['send'],
  sends_per_prefix_1h: ['send'],
  sends_per_prefix_24h: ['send'],
  sends_per_country_1h: ['send'],
  sends_per_country_24h: ['send'],
  sends_per_client_1h: ['send'],
  sends_per_client_24h: ['send'],
  sends_per_ip_1h: ['send'],
  sends_per_ip_24h: ['send'],
  sends_per_device_key_1h: ['send'],
  sends_per_device_key_24h: ['send'],
  // Counted at a code check (`verify`), read without counting at a send; a Mobile Auth attempt
  // may have no number yet.
  verifications_per_number_1h: ['send', 'verify'],
  verifications_per_number_24h: ['send', 'verify'],
  verifications_per_device_key_1h: ['send', 'verify'],
  verifications_per_device_key_24h: ['send', 'verify'],
  // Read against the send counters the send counts.
  conversion_per_prefix_24h: ['send'],
  conversion_per_country_24h: ['send'],
  // number_changes is counted by an allowed send that changes the number; a device key's distinct
  // numbers count the number they are read for.
  number_changes: ['send'],
  distinct_numbers_per_device_key_24h: ['send'],
  // The budget is spent by the send it is read at.
  budget_client_count_used: ['send'],
  budget_client_cost_used: ['send'],
  budget_total_count_used: ['send'],
  budget_total_cost_used: ['send'],
};

export function pointsOf(rule: Rule): readonly PolicyPoint[] {
  return rule.at ?? DEFAULT_POINTS;
}

/** The rules of `policy` that apply at each point, in file order. */
export function rulesByPoint(policy: PolicyFile): Record<PolicyPoint, PolicyFile> {
  const byPoint = {} as Record<PolicyPoint, PolicyFile>;
  for (const point of POLICY_POINTS) byPoint[point] = { version: 1, rules: policy.rules.filter((r) => pointsOf(r).includes(point)) };
  return byPoint;
}
