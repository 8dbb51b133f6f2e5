/**
 * @module sms/providers/chain
 * The provider chain (protocol/channels.md CH2): an ordered list of providers, chosen per
 * destination country where a route says so. A retryable failure moves on to the next provider;
 * a permanent one ends the attempt (CH2 fails over on retryable failures only: an invalid or
 * opted-out number is invalid at every provider, and trying elsewhere would only cost money).
 * A provider that answered with `Retry-After` (429 or 5xx) is skipped until that time has passed.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { maskPhone } from '../../lib/phone.js';
import { ProviderError, SILENT_LOG, type OutgoingSms, type ProviderLog, type SendResult, type SmsProvider } from './provider.js';

/** Route key for every country without its own route. */
export const DEFAULT_ROUTE = '*';

/** Country (ISO 3166-1 alpha-2, or `*`) → provider names in the order they are tried. */
export type SmsRoutes = ReadonlyMap<string, readonly string[]>;

/** One provider tried for a message, and how it ended. */
export interface ChainAttempt {
  provider: string;
  /** `sent`, a failure reason, or `skipped` (inside its Retry-After window). */
  outcome: 'sent' | 'skipped' | ProviderError['reason'];
}

/** What the chain answers: the provider's answer plus which provider took the message. */
export interface ChainSendResult extends SendResult {
  provider: string;
  attempts: ChainAttempt[];
}

/** The chain's failure: the last provider's classified error, with every attempt listed. */
export class ProviderChainError extends ProviderError {
  override name = 'ProviderChainError';
  readonly attempts: ChainAttempt[];
  constructor(last: ProviderError, attempts: ChainAttempt[], retryAfterMs?: number) {
    super(last.provider, last.reason, {
      ...(last.httpStatus !== undefined ? { httpStatus: last.httpStatus } : {}),
      ...(last.providerCode !== undefined ? { providerCode: last.providerCode } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : last.retryAfterMs !== undefined ? { retryAfterMs: last.retryAfterMs } : {}),
    });
    this.attempts = attempts;
  }
}

/**
 * The destination's country for routing: the country libphonenumber places the number in, else the
 * main country of its calling code (`+44 7700 900…` test ranges are not "valid" but are GB), else
 * undefined (non-geographic numbers: only the default route applies).
 */
export function destinationCountry(e164: string): string | undefined {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed) return undefined;
  return parsed.country ?? parsed.getPossibleCountries()[0];
}

/** Settings of {@link ProviderChain}. */
export interface ProviderChainSettings {
  /** Providers in the default order (`HANDSET_SMS_PROVIDERS`). */
  providers: readonly SmsProvider[];
  /** Per-country orders (`HANDSET_SMS_ROUTES`); a `*` entry replaces the default order. */
  routes?: SmsRoutes;
  /** Milliseconds since the epoch (tests). */
  now?: () => number;
  log?: ProviderLog;
}

/** An {@link SmsProvider} that sends through the first provider of a destination's route that takes it. */
export class ProviderChain implements SmsProvider {
  readonly name = 'chain';
  readonly #byName: Map<string, SmsProvider>;
  readonly #default: readonly string[];
  readonly #routes: SmsRoutes;
  readonly #now: () => number;
  readonly #log: ProviderLog;
  /** Provider name → time (ms) before which it is not asked (its Retry-After). Per chain, so per process. */
  readonly #coolingUntil = new Map<string, number>();

  constructor(settings: ProviderChainSettings) {
    if (settings.providers.length === 0) throw new TypeError('a provider chain needs at least one provider');
    this.#byName = new Map(settings.providers.map((p) => [p.name, p]));
    this.#routes = settings.routes ?? new Map();
    this.#default = this.#routes.get(DEFAULT_ROUTE) ?? settings.providers.map((p) => p.name);
    for (const names of [this.#default, ...this.#routes.values()]) {
      for (const name of names) if (!this.#byName.has(name)) throw new TypeError(`route names unknown provider ${name}`);
    }
    this.#now = settings.now ?? Date.now;
    this.#log = settings.log ?? SILENT_LOG;
  }

  /** The provider names tried for `to`, in order. */
  routeFor(to: string): readonly string[] {
    const country = destinationCountry(to);
    return (country !== undefined ? this.#routes.get(country) : undefined) ?? this.#default;
  }

  async send(message: OutgoingSms, options: { signal?: AbortSignal } = {}): Promise<ChainSendResult> {
    const attempts: ChainAttempt[] = [];
    let last: ProviderError | undefined;
    let soonest: number | undefined; // earliest end of a skipped provider's Retry-After window
    for (const name of this.routeFor(message.to)) {
      const provider = this.#byName.get(name) as SmsProvider;
      const until = this.#coolingUntil.get(name);
      const now = this.#now();
      if (until !== undefined && until > now) {
        attempts.push({ provider: name, outcome: 'skipped' });
        soonest = Math.min(soonest ?? Infinity, until - now);
        continue;
      }
      try {
        const result = await provider.send(message, options);
        this.#coolingUntil.delete(name);
        attempts.push({ provider: name, outcome: 'sent' });
        return { ...result, provider: name, attempts };
      } catch (error) {
        // Adapters throw only ProviderError; anything else is a bug, treated as an outage of that provider.
        const classified = error instanceof ProviderError ? error : new ProviderError(name, 'provider-unavailable');
        attempts.push({ provider: name, outcome: classified.reason });
        last = classified;
        if (classified.retryable && classified.retryAfterMs !== undefined) {
          this.#coolingUntil.set(name, this.#now() + classified.retryAfterMs);
        }
        if (!classified.retryable) {
          this.#log.warn({ provider: name, to: maskPhone(message.to), reason: classified.reason, attempts }, 'sms refused permanently');
          throw new ProviderChainError(classified, attempts);
        }
        this.#log.warn({ provider: name, to: maskPhone(message.to), reason: classified.reason }, 'sms provider failed, trying the next');
      }
    }
    // Every provider failed retryably or is waiting out its Retry-After: the courier retries later.
    const retryAfterMs = minDefined(soonest, last?.retryAfterMs);
    const error = last ?? new ProviderError(attempts.at(-1)?.provider ?? this.name, 'rate-limited');
    throw new ProviderChainError(error, attempts, retryAfterMs);
  }
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
