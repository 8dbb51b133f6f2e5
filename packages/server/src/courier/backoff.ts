/**
 * @module courier/backoff
 * When a message that failed retryably is tried again: exponential backoff with "equal jitter"
 * (half the delay fixed, half random) so instances that failed together do not retry together,
 * and never sooner than the provider's `Retry-After`.
 */
import type { Random } from '../ports/random.js';

/** Backoff settings (milliseconds). */
export interface BackoffSettings {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = { baseMs: 2_000, maxMs: 300_000 };

/** A uniform fraction in [0, 1) from the Random port (tests pass a fixed one). */
export function fraction(random: Random): number {
  return Buffer.from(random.bytes(4)).readUInt32BE(0) / 2 ** 32;
}

/**
 * The delay before attempt `attempts + 1`, after `attempts` failed ones (1 → about base,
 * 2 → about 2 × base, …, capped at max), at least `retryAfterMs`.
 */
export function backoffDelay(attempts: number, settings: BackoffSettings, random: Random, retryAfterMs?: number): number {
  const exponential = Math.min(settings.maxMs, settings.baseMs * 2 ** Math.max(0, attempts - 1));
  const jittered = Math.round(exponential / 2 + fraction(random) * (exponential / 2));
  return Math.max(jittered, retryAfterMs ?? 0);
}
