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
} as const satisfies Record<string, SignalKind>;

export type SignalName = keyof typeof SIGNALS;

/** The values of one evaluation; a signal left out is not needed by the loaded policy. */
export type Signals = Partial<Record<SignalName, string | number>>;

export function isSignalName(name: string): name is SignalName {
  return Object.hasOwn(SIGNALS, name);
}
