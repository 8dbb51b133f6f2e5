/**
 * @module courier/config
 * The courier's settings from the environment (docs/channels.md, "Courier"): each variable is
 * optional, and a value out of range is refused with a {@link ConfigError} naming it.
 */
import { ConfigError } from '../config.js';
import { DEFAULT_COURIER_SETTINGS, type CourierSettings } from './dispatcher.js';

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, name: string, min: number, max: number, fallback: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

/** HANDSET_SMS_MAX_ATTEMPTS, HANDSET_SMS_LEASE_MS, HANDSET_SMS_POLL_MS, HANDSET_SMS_RETRY_BASE_MS. */
export function courierSettingsFromEnv(env: Env): CourierSettings {
  const d = DEFAULT_COURIER_SETTINGS;
  return {
    ...d,
    maxAttempts: integer(env, 'HANDSET_SMS_MAX_ATTEMPTS', 1, 50, d.maxAttempts),
    leaseMs: integer(env, 'HANDSET_SMS_LEASE_MS', 1_000, 3_600_000, d.leaseMs),
    pollMs: integer(env, 'HANDSET_SMS_POLL_MS', 50, 60_000, d.pollMs),
    backoff: { ...d.backoff, baseMs: integer(env, 'HANDSET_SMS_RETRY_BASE_MS', 10, 600_000, d.backoff.baseMs) },
  };
}
