/**
 * @module velocity
 * Send counters shared by every instance: how many texts were asked for to a number, a prefix
 * (the number without its last four digits), a country, by a client, for a source address (the
 * `ipAddress` the integrator gave) and under a Prove Key (device key) over the last hour and day. Counted with
 * rate-limiter-flexible through http/limiter-store.ts: in memory on SQLite (one instance), in the
 * `rate_limits` table on PostgreSQL, where the upsert is atomic, so N instances count together
 * and a cap is exact (each send gets its own number). Windows are fixed, starting at the key's
 * first send (rate-limiter-flexible's model), not sliding: documented in docs/fraud-policy.md.
 *
 * Counting happens before the decision (count, then compare the count before this send), so two
 * sends at once never both see "one left". A send the policy then denies has still been counted
 * (the counters measure what was asked for, which is what pumping produces); a step that rolls
 * back counts nothing on PostgreSQL (counted in its transaction, policy/point-signals.ts).
 */
import { WINDOW_SECONDS, type WindowCounters } from './window-counters.js';

/** The counted signals: `sends_per_<key>_<window>`. */
export const VELOCITY_SIGNALS = [
  'sends_per_number_1h',
  'sends_per_number_24h',
  'sends_per_prefix_1h',
  'sends_per_prefix_24h',
  'sends_per_country_1h',
  'sends_per_country_24h',
  'sends_per_client_1h',
  'sends_per_client_24h',
  'sends_per_ip_1h',
  'sends_per_ip_24h',
  'sends_per_device_key_1h',
  'sends_per_device_key_24h',
] as const;
export type VelocitySignal = (typeof VELOCITY_SIGNALS)[number];

/** What a send is counted under. */
export interface SendKeys {
  number: string;
  country: string;
  client: string;
  ip: string | null;
  /** The session's Prove Key (device id), when it has one. */
  device_key: string | null;
}

/** The number without its last four digits (`+4490987` for `+449098765432`). */
export function prefixOf(e164: string): string {
  return e164.slice(0, Math.max(2, e164.length - 4));
}

/** `sends_per_device_key_1h` → what it is keyed by (`device_key`) and its window (`1h`). */
function parse(signal: VelocitySignal): { what: keyof SendKeys | 'prefix'; window: '1h' | '24h' } {
  const match = /^sends_per_(.+)_(1h|24h)$/.exec(signal)!;
  return { what: match[1] as keyof SendKeys | 'prefix', window: match[2] as '1h' | '24h' };
}

function keyOf(what: keyof SendKeys | 'prefix', keys: SendKeys): string | null {
  return what === 'prefix' ? prefixOf(keys.number) : keys[what];
}

export class VelocityCounters {
  readonly #counters: WindowCounters;

  constructor(counters: WindowCounters) {
    this.#counters = counters;
  }

  /**
   * Counts one send under each of `signals` and returns, per signal, how many sends came before
   * this one in the window. A signal without a key (no source address, no device key) is left out.
   */
  async count(signals: Iterable<VelocitySignal>, keys: SendKeys): Promise<Partial<Record<VelocitySignal, number>>> {
    const keyed = [...signals].flatMap((signal) => {
      const { what, window } = parse(signal);
      const key = keyOf(what, keys);
      return key === null ? [] : [{ signal, name: `policy:${signal}`, seconds: WINDOW_SECONDS[window], key }];
    });
    // One statement for every counter on PostgreSQL (policy/window-counters.ts `addMany`).
    const totals = await this.#counters.addMany(keyed);
    const counted: Partial<Record<VelocitySignal, number>> = {};
    keyed.forEach(({ signal }, i) => (counted[signal] = totals[i]! - 1));
    return counted;
  }
}
