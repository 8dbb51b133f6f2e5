/**
 * @module default-policy
 * The policy a deployment runs without `HANDSET_POLICY_FILE` (docs/fraud-policy.md "Default
 * policy"): no text to premium-rate or shared-cost numbers, where SMS pumping earns its money,
 * and none to a number range whose texts are almost never used once it has had 200 in a day.
 * Kept as a module (not a JSON file beside it) so the built package needs no asset copying; it is
 * validated like any file at start, and `policy check` accepts its JSON form (tested).
 */
import type { PolicyFile } from './policy-schema.js';

/** Handset's own reason: the number's line type takes no texts (premium rate, shared cost). */
export const REASON_LINE_TYPE_DENIED = 9802;
/** Handset's own reason: the number's country is outside the policy's allow list. */
export const REASON_COUNTRY_DENIED = 9803;
/** Handset's own reason: texts to this number range (or country) are almost never used. */
export const REASON_LOW_CONVERSION = 9810;

export const DEFAULT_POLICY: PolicyFile = {
  version: 1,
  rules: [
    {
      id: 'deny-premium-rate',
      description: 'Premium-rate and shared-cost numbers are where SMS pumping earns: no text goes to one.',
      when: { signal: 'line_type', op: 'in', value: ['premium_rate', 'shared_cost'] },
      action: 'deny_send',
      reason: REASON_LINE_TYPE_DENIED,
    },
    {
      id: 'deny-unused-range',
      description:
        'Pumping walks fresh numbers of one range and never uses a text: under 5 % of 200 or more texts to a range used in a day denies the range.',
      when: {
        all: [
          { signal: 'conversion_per_prefix_24h', op: '<', value: 0.05 },
          { signal: 'sends_per_prefix_24h', op: '>=', value: 200 },
        ],
      },
      action: 'deny_send',
      reason: REASON_LOW_CONVERSION,
    },
  ],
};
