/**
 * @module verification-attempts
 * Verification attempts across sessions: every code check (right or wrong) is counted per number
 * and, when the session has a Prove Key, per device key, over the last hour and day, in the
 * counters every instance shares. A brute force that opens new sessions to get fresh tries at one
 * number's codes is capped by a rule at the `verify` point (policy/point-signals.ts), which the
 * per-session attempt cap of the state machine cannot see.
 */
import { WINDOW_SECONDS, type WindowCounters } from './window-counters.js';

export const VERIFICATION_SIGNALS = [
  'verifications_per_number_1h',
  'verifications_per_number_24h',
  'verifications_per_device_key_1h',
  'verifications_per_device_key_24h',
] as const;
export type VerificationSignal = (typeof VERIFICATION_SIGNALS)[number];

export const isVerificationSignal = (name: string): name is VerificationSignal => (VERIFICATION_SIGNALS as readonly string[]).includes(name);

export interface VerificationKeys {
  number: string | null;
  device_key: string | null;
}

function parse(signal: VerificationSignal): { what: keyof VerificationKeys; window: '1h' | '24h' } {
  const match = /^verifications_per_(.+)_(1h|24h)$/.exec(signal)!;
  return { what: match[1] as keyof VerificationKeys, window: match[2] as '1h' | '24h' };
}

/**
 * Per signal, the checks before this one in the window. `count` (at a code check) counts this
 * check first; `read` (at a send) counts nothing. A signal without a key is left out.
 */
export async function verificationAttempts(
  counters: WindowCounters,
  signals: Iterable<VerificationSignal>,
  keys: VerificationKeys,
  mode: 'count' | 'read',
): Promise<Partial<Record<VerificationSignal, number>>> {
  const keyed = [...signals].flatMap((signal) => {
    const { what, window } = parse(signal);
    const key = keys[what];
    return key === null ? [] : [{ signal, name: `policy:${signal}`, seconds: WINDOW_SECONDS[window], key }];
  });
  const counts = mode === 'count' ? (await counters.addMany(keyed)).map((total) => total - 1) : await counters.readMany(keyed);
  const found: Partial<Record<VerificationSignal, number>> = {};
  keyed.forEach(({ signal }, i) => (found[signal] = counts[i]!));
  return found;
}
