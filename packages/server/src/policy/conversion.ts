/**
 * @module conversion
 * Conversion rate per number prefix and per country: of the texts asked for in the last day, how
 * many were used (a right code, an opened link). Real people finish; SMS pumping never does, so a
 * range whose texts are almost never used can be denied even when each single number is fresh.
 *
 * Counted cheaply: a "use" counter keyed like the send counter (`policy:uses_per_prefix_24h`,
 * `policy:uses_per_country_24h`) is incremented at a successful check; the rate is read at the
 * send as uses ÷ sends before this one (`sends_per_prefix_24h`, which the send counts anyway).
 * Both are fixed 24 h windows starting at their key's first count. To keep the two windows
 * together, the send reads the use counter by adding 0 to it, which starts its window when the
 * send counter's starts (a use after a window ended and before the next send still starts one
 * early: then the rate reads low for the rest of that window, capped by how few sends there
 * were). A rule should pair the rate with a minimum volume (`all`: rate below X and
 * `sends_per_prefix_24h` at least N) so a small sample never decides (docs/fraud-policy.md).
 */
import type { Deps } from '../deps.js';
import type { StepContext } from '../flows/session-tx.js';
import { numberSignals } from './number-signals.js';
import { policyCounters } from './policy-counters.js';
import { prefixOf } from './velocity.js';
import { WINDOW_SECONDS, type WindowCounters } from './window-counters.js';

export const CONVERSION_SIGNALS = ['conversion_per_prefix_24h', 'conversion_per_country_24h'] as const;
export type ConversionSignal = (typeof CONVERSION_SIGNALS)[number];

export const isConversionSignal = (name: string): name is ConversionSignal => (CONVERSION_SIGNALS as readonly string[]).includes(name);

/** The send counter each rate divides by. */
export const CONVERSION_VOLUME = {
  conversion_per_prefix_24h: 'sends_per_prefix_24h',
  conversion_per_country_24h: 'sends_per_country_24h',
} as const;

const DAY = WINDOW_SECONDS['24h'];

function keyOf(signal: ConversionSignal, number: string, country: string): { name: string; key: string } {
  return signal === 'conversion_per_prefix_24h'
    ? { name: 'policy:uses_per_prefix_24h', key: prefixOf(number) }
    : { name: 'policy:uses_per_country_24h', key: country };
}

/** uses ÷ sends, to three decimals and at most 1; absent with no send yet (no evidence either way). */
export function conversionRate(uses: number, sends: number): number | undefined {
  if (sends <= 0) return undefined;
  return Math.min(1, Math.round((uses / sends) * 1000) / 1000);
}

/** Counts one use of a text to `number` (a right code, an opened link) for each rate in `signals`. */
export async function countUse(counters: WindowCounters, signals: Iterable<ConversionSignal>, number: string, country: string): Promise<void> {
  await counters.addMany([...signals].map((signal) => ({ ...keyOf(signal, number, country), seconds: DAY })));
}

/** The rates at a send, given the send counts before it (`sendsBefore`, from policy/velocity.ts). */
export async function conversionRates(
  counters: WindowCounters,
  signals: Iterable<ConversionSignal>,
  number: string,
  country: string,
  sendsBefore: Partial<Record<string, string | number>>,
): Promise<Partial<Record<ConversionSignal, number>>> {
  const list = [...signals];
  // Adding 0 reads the count and starts the window with the send counter's (see above).
  const uses = await counters.addMany(list.map((signal) => ({ ...keyOf(signal, number, country), seconds: DAY, points: 0 })));
  const rates: Partial<Record<ConversionSignal, number>> = {};
  list.forEach((signal, i) => {
    const rate = conversionRate(uses[i]!, Number(sendsBefore[CONVERSION_VOLUME[signal]] ?? 0));
    if (rate !== undefined) rates[signal] = rate;
  });
  return rates;
}

/**
 * A text to the session's number was used (a right code, the first opening of a link): counted for
 * the rates the loaded policy reads, in the step's transaction (flows/settle.ts calls it).
 */
export async function countTextUse(deps: Deps, ctx: StepContext): Promise<void> {
  const rates = [...deps.policy.current.signals].filter(isConversionSignal);
  const number = ctx.session.phone_e164;
  if (rates.length === 0 || number === null) return;
  // The country (a libphonenumber lookup) only when a rate per country is read.
  const country = rates.includes('conversion_per_country_24h') ? String(numberSignals(number).country) : 'unknown';
  await countUse(policyCounters(deps, ctx), rates, number, country);
}
