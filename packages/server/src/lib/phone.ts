/**
 * @module phone
 * Phone-number normalisation to E.164 and masking for logs and messages.
 *
 * Numbers are accepted when libphonenumber says they are *possible*, not *valid*: the sandbox
 * numbers use the unassigned US area code 200 and must pass (stack guide §2.11).
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** A NANP (+1) number: an area code and exchange of 10 digits, the first not 0 or 1. */
const NANP = /^(?:\+?1)?([2-9][0-9]{9})$/;

/** Normalises a number to E.164, or returns null when it cannot be a phone number. */
export function normalizePhone(raw: string): string | null {
  const trimmed = raw.trim();
  if (!/^\+?[0-9]{4,17}$/.test(trimmed)) return null;
  // Fast path for the common US/Canada shape: libphonenumber's answer for it is always
  // "+1" + the ten digits (possibility is a length check for +1), at a fraction of the cost.
  const nanp = NANP.exec(trimmed);
  if (nanp) return `+1${nanp[1]}`;
  // US and Canada numbers may come without +1 (server-api.md §3.1).
  const parsed = parsePhoneNumberFromString(trimmed, trimmed.startsWith('+') ? undefined : 'US');
  if (!parsed || !parsed.isPossible()) return null;
  return parsed.number;
}

/** Masks a number for logs and messages: `+1******4018`. */
export function maskPhone(phone: string | null | undefined): string {
  if (!phone) return '(none)';
  const digits = phone.replace(/[^0-9]/g, '');
  const tail = digits.slice(-4);
  const head = phone.startsWith('+1') ? '+1' : phone.startsWith('+') ? `+${digits.slice(0, 2)}` : '';
  return `${head}${'*'.repeat(Math.max(0, digits.length - tail.length - head.replace('+', '').length))}${tail}`;
}
