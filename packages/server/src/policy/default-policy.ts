/**
 * @module default-policy
 * The policy a deployment runs without `HANDSET_POLICY_FILE` (docs/fraud-policy.md "Default
 * policy"): no text to premium-rate or shared-cost numbers, where SMS pumping earns its money,
 * and send caps per number (harassment) and per range (pumping through ordinary ranges), set
 * well above what a real integrator sends (the figures are argued in the docs).
 * Kept as a module (not a JSON file beside it) so the built package needs no asset copying; it is
 * validated like any file at start, and `policy check` accepts its JSON form (tested).
 */
import type { PolicyFile } from './policy-schema.js';

/** Handset's own reason: the number's line type takes no texts (premium rate, shared cost). */
export const REASON_LINE_TYPE_DENIED = 9802;
/** Handset's own reason: the number's country is outside the policy's allow list. */
export const REASON_COUNTRY_DENIED = 9803;
/** Handset's own reason: too many texts to this number. */
export const REASON_NUMBER_CAP = 9804;
/** Handset's own reason: too many texts to this number range (the number without its last four digits). */
export const REASON_PREFIX_CAP = 9805;

/** The default caps: texts to one number / one range before the next one is denied. */
export const DEFAULT_CAPS = {
  numberPerHour: 10,
  numberPerDay: 30,
  prefixPerHour: 50,
  prefixPerDay: 300,
} as const;

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
      id: 'number-hourly-cap',
      description: 'One person asks for a few texts an hour; more is someone flooding a number.',
      when: { signal: 'sends_per_number_1h', op: '>=', value: DEFAULT_CAPS.numberPerHour },
      action: 'deny_send',
      reason: REASON_NUMBER_CAP,
    },
    {
      id: 'number-daily-cap',
      description: 'Harassment spread over a day.',
      when: { signal: 'sends_per_number_24h', op: '>=', value: DEFAULT_CAPS.numberPerDay },
      action: 'deny_send',
      reason: REASON_NUMBER_CAP,
    },
    {
      id: 'prefix-hourly-cap',
      description: 'Pumping walks fresh numbers of one range: each number looks new, the range does not.',
      when: { signal: 'sends_per_prefix_1h', op: '>=', value: DEFAULT_CAPS.prefixPerHour },
      action: 'deny_send',
      reason: REASON_PREFIX_CAP,
    },
    {
      id: 'prefix-daily-cap',
      description: 'The same, over a day.',
      when: { signal: 'sends_per_prefix_24h', op: '>=', value: DEFAULT_CAPS.prefixPerDay },
      action: 'deny_send',
      reason: REASON_PREFIX_CAP,
    },
  ],
};
