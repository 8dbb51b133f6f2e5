/**
 * @module velocity
 * Send counters shared by every instance: how many texts the policy let through to a number, a
 * prefix (the number without its last four digits), a country, a client and a source address
 * (the `ipAddress` the integrator gave) over the last hour and day. Counted with
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
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { MakeLimiter } from '../http/limiter-store.js';

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
] as const;
export type VelocitySignal = (typeof VELOCITY_SIGNALS)[number];

const WINDOW_SECONDS = { '1h': 3600, '24h': 86_400 } as const;
/** Never refuses: the limiter is used as a shared counter, the policy decides. */
const UNBOUNDED = 2 ** 31 - 1;

/** What a send is counted under. */
export interface SendKeys {
  number: string;
  country: string;
  client: string;
  ip: string | null;
}

/** The number without its last four digits (`+4490987` for `+449098765432`). */
export function prefixOf(e164: string): string {
  return e164.slice(0, Math.max(2, e164.length - 4));
}

function keyOf(signal: VelocitySignal, keys: SendKeys): string | null {
  const what = signal.split('_')[2] as 'number' | 'prefix' | 'country' | 'client' | 'ip';
  if (what === 'prefix') return prefixOf(keys.number);
  return keys[what];
}

export class VelocityCounters {
  readonly #limiters = new Map<VelocitySignal, RateLimiterAbstract>();
  readonly #make: MakeLimiter;

  constructor(make: MakeLimiter) {
    this.#make = make;
  }

  #limiter(signal: VelocitySignal): RateLimiterAbstract {
    let limiter = this.#limiters.get(signal);
    if (!limiter) {
      const window = signal.endsWith('_24h') ? '24h' : '1h';
      limiter = this.#make({ name: `policy:${signal}`, points: UNBOUNDED, durationSeconds: WINDOW_SECONDS[window] });
      this.#limiters.set(signal, limiter);
    }
    return limiter;
  }

  /**
   * Counts one send under each of `signals` and returns, per signal, how many sends came before
   * this one in the window. A signal without a key (no source address) is left out.
   */
  async count(signals: Iterable<VelocitySignal>, keys: SendKeys): Promise<Partial<Record<VelocitySignal, number>>> {
    const counted: Partial<Record<VelocitySignal, number>> = {};
    await Promise.all(
      [...signals].map(async (signal) => {
        const key = keyOf(signal, keys);
        if (key === null) return;
        const result = await this.#limiter(signal).consume(key, 1);
        counted[signal] = result.consumedPoints - 1;
      }),
    );
    return counted;
  }
}
