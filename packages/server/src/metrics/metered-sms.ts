/**
 * @module metered-sms
 * The SMS-sender port with `handset_messages_total` counted around it: every provider is metered
 * the same way, in one place, whatever it is. The destination is reduced to its country code
 * (libphonenumber's region of the number): the number itself never becomes a label.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import metadata from 'libphonenumber-js/metadata.min.json';
import type { Executor } from '../store/executor.js';
import type { SmsMessage, SmsSender } from '../sms/sms-sender.js';
import type { Metrics } from './metrics.js';

/**
 * The ISO 3166 region of an E.164 number; for a number no region claims (unassigned ranges such as
 * the sandbox's +1 200, or the UK's drama range), the main region of its calling code (US for +1,
 * GB for +44), as libphonenumber's getRegionCodeForCountryCode does; `unknown` when even that fails.
 */
export function countryOf(e164: string): string {
  const parsed = parsePhoneNumberFromString(e164);
  const country = parsed?.country ?? (parsed ? metadata.country_calling_codes[parsed.countryCallingCode]?.[0] : undefined);
  return country && /^[A-Z]{2}$/.test(country) ? country : 'unknown';
}

export class MeteredSmsSender implements SmsSender {
  readonly #inner: SmsSender;
  readonly #metrics: Metrics;
  constructor(inner: SmsSender, metrics: Metrics) {
    this.#inner = inner;
    this.#metrics = metrics;
  }
  get name(): string {
    return this.#inner.name;
  }
  async send(message: SmsMessage, q: Executor): Promise<void> {
    const labels = { provider: this.#inner.name, country: countryOf(message.to) };
    try {
      await this.#inner.send(message, q);
    } catch (error) {
      this.#metrics.messageSent({ ...labels, status: 'failed' });
      throw error;
    }
    this.#metrics.messageSent({ ...labels, status: 'sent' });
  }
}
