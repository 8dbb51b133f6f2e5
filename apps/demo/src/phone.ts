/**
 * @module phone
 * The demo's light handling of typed phone numbers: a shape check before anything is sent to
 * Handset (which normalises and validates them properly), and masking for everything the demo
 * shows or logs (`+1******0100`), so no full number leaves the request that carried it.
 */

/** A typed number in a compact form (`+12025550100`), or null when it cannot be a phone number. */
export function compactPhone(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const trimmed = raw.trim();
  if (!/^\+?[\d\s().-]{7,24}$/.test(trimmed)) return null;
  const compact = trimmed.replace(/[\s().-]/g, '');
  const digits = compact.replace(/^\+/, '');
  return digits.length >= 7 && digits.length <= 15 ? compact : null;
}

/**
 * Masks a phone number for display and logs: country code and the last four digits stay.
 *
 * @example
 * ```ts
 * maskPhone('+12025550100'); // "+1******0100"
 * ```
 */
export function maskPhone(phone: string): string {
  const compact = phone.replace(/[^\d+]/g, '');
  if (compact.length < 7) return '***';
  return `${compact.slice(0, 2)}${'*'.repeat(compact.length - 6)}${compact.slice(-4)}`;
}
