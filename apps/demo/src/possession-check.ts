/**
 * @module possession-check
 * The demo's own, customer-supplied possession check: when Handset answers `possession_required`,
 * the integrator must prove the person holds the number by its own means before it may call
 * `unify-bind`. The demo sends a 6-digit code through its own channel (the {@link DemoInbox}) and
 * accepts it for 5 minutes, with 3 tries. Codes are compared in constant time.
 */
import { randomInt, timingSafeEqual } from 'node:crypto';
import type { DemoInbox } from './demo-inbox.js';
import type { CheckView } from './explain.js';
import { maskPhone } from './phone.js';

/** How long a code works. */
export const CHECK_TTL_MS = 5 * 60_000;
/** Wrong codes allowed before the check is over. */
export const CHECK_ATTEMPTS = 3;

/** A check waiting for its code. */
export interface PendingCheck {
  code: string;
  expiresAt: number;
  attemptsLeft: number;
}

/** Why a code was not accepted. */
export type CheckFailure = 'no_check' | 'expired' | 'wrong_code' | 'too_many_attempts';

/** Sends a fresh code to `phoneNumber` through the demo inbox and returns the check to keep. */
export function startCheck(phoneNumber: string, inbox: DemoInbox, now: Date): PendingCheck {
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  inbox.send(phoneNumber, `Demo Co: ${code} is your code to confirm this phone number. It expires in 5 minutes.`, now);
  return { code, expiresAt: now.getTime() + CHECK_TTL_MS, attemptsLeft: CHECK_ATTEMPTS };
}

/** What the page may know about a pending check (never the code). */
export function checkView(check: PendingCheck, phoneNumber: string): CheckView {
  return { sentTo: maskPhone(phoneNumber), expiresAt: new Date(check.expiresAt).toISOString(), attemptsLeft: check.attemptsLeft };
}

function sameCode(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Checks a typed code. `null` means accepted. A wrong code uses up one try (the check object is
 * updated in place). An expired or used-up check stays as it is until a new code is sent.
 */
export function confirmCheck(check: PendingCheck | undefined, given: string, now: Date): CheckFailure | null {
  if (!check) return 'no_check';
  if (now.getTime() >= check.expiresAt) return 'expired';
  if (check.attemptsLeft <= 0) return 'too_many_attempts';
  if (sameCode(check.code, given.trim())) return null;
  check.attemptsLeft -= 1;
  return check.attemptsLeft <= 0 ? 'too_many_attempts' : 'wrong_code';
}
