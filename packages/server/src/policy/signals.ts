/**
 * @module signals
 * The signals a policy condition may name, and the kind of value each has, so `policy check`
 * refuses a rule over an unknown signal or a comparison that can never be true. Only signals
 * the platform computes are listed (docs/fraud-policy.md "Signals").
 */

export type SignalKind = 'string' | 'number';

export const SIGNALS = {
  /** The number's line type from libphonenumber metadata (lib/line-type.ts); `unknown` if none. */
  line_type: 'string',
  /** The number's ISO 3166 region (e.g. `GB`); `unknown` if none. */
  country: 'string',
  /** Session facts: texts sent again (OTP and Instant Link resends) and wrong codes so far. */
  resends: 'number',
  wrong_codes: 'number',
  /** Send counters (policy/velocity.ts): sends before this one in the window. */
  sends_per_number_1h: 'number',
  sends_per_number_24h: 'number',
  sends_per_prefix_1h: 'number',
  sends_per_prefix_24h: 'number',
  sends_per_country_1h: 'number',
  sends_per_country_24h: 'number',
  sends_per_client_1h: 'number',
  sends_per_client_24h: 'number',
  sends_per_ip_1h: 'number',
  sends_per_ip_24h: 'number',
  sends_per_device_key_1h: 'number',
  sends_per_device_key_24h: 'number',
  /** Code checks (right or wrong) before this one, across sessions (policy/verification-attempts.ts). */
  verifications_per_number_1h: 'number',
  verifications_per_number_24h: 'number',
  verifications_per_device_key_1h: 'number',
  verifications_per_device_key_24h: 'number',
  /** Session facts (policy/session-facts.ts): changes of number so far; distinct numbers for one Prove Key. */
  number_changes: 'number',
  distinct_numbers_per_device_key_24h: 'number',
  /** Texts used (right code, opened link) ÷ texts sent, 0–1 (policy/conversion.ts). */
  conversion_per_prefix_24h: 'number',
  conversion_per_country_24h: 'number',
  /** Spent today (UTC) before this text: texts, and estimated cost from `prices` (policy/sms-budget.ts). */
  budget_client_count_used: 'number',
  budget_client_cost_used: 'number',
  budget_total_count_used: 'number',
  budget_total_cost_used: 'number',
} as const satisfies Record<string, SignalKind>;

export type SignalName = keyof typeof SIGNALS;

/** The values of one evaluation; a signal left out is not needed by the loaded policy. */
export type Signals = Partial<Record<SignalName, string | number>>;

export function isSignalName(name: string): name is SignalName {
  return Object.hasOwn(SIGNALS, name);
}
