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
} as const satisfies Record<string, SignalKind>;

export type SignalName = keyof typeof SIGNALS;

/** The values of one evaluation; a signal left out is not needed by the loaded policy. */
export type Signals = Partial<Record<SignalName, string | number>>;

export function isSignalName(name: string): name is SignalName {
  return Object.hasOwn(SIGNALS, name);
}
