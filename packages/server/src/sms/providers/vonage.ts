/**
 * @module sms/providers/vonage
 * Vonage SMS API (protocol/channels.md §2): `POST {base}/sms/json` with a form body (`api_key`,
 * `api_secret`, `from`, `to` as digits without `+`, `text`, `type=unicode` when the text is not
 * GSM-7, optional `callback`, `client-ref` = Handset's message id). The answer is HTTP 200 even on
 * failure; each `messages[].status` is `"0"` for success or a code classified here.
 */
import { maskPhone } from '../../lib/phone.js';
import { classifyHttpStatus, DEFAULT_PROVIDER_TIMEOUT_MS, isRecord, numericCode, parseJson, providerFetch } from './http.js';
import {
  ProviderError,
  SILENT_LOG,
  type OutgoingSms,
  type ProviderErrorReason,
  type ProviderLog,
  type SendResult,
  type SmsProvider,
} from './provider.js';

export const VONAGE_DEFAULT_BASE_URL = 'https://rest.nexmo.com';

/** Settings of {@link VonageSmsProvider}. */
export interface VonageSettings {
  apiKey: string;
  apiSecret: string;
  /** Sender id or number (a leading `+` is dropped: Vonage wants digits). */
  from: string;
  /** Default {@link VONAGE_DEFAULT_BASE_URL}; tests point it at the local fake. */
  baseUrl?: string;
  /** Delivery-receipt URL sent as `callback` (omitted when unset: the account's default applies). */
  callbackUrl?: string;
  timeoutMs?: number;
  log?: ProviderLog;
}

/**
 * Vonage SMS API status codes (developer.vonage.com/api-errors/sms). Codes not listed are
 * `rejected` (permanent): retrying an unknown refusal elsewhere could send twice for nothing.
 */
const VONAGE_CODES: Record<string, ProviderErrorReason> = {
  '1': 'rate-limited', // throttled
  '2': 'invalid-request', // missing parameters
  '3': 'invalid-request', // invalid parameters
  '4': 'auth-failed', // invalid credentials
  '5': 'provider-unavailable', // internal error
  '6': 'invalid-number', // invalid message: e.g. an unrecognised number prefix
  '7': 'recipient-blocked', // number barred
  '8': 'account-disabled', // partner account barred
  '9': 'insufficient-funds', // partner quota violation
  '10': 'rate-limited', // too many existing binds: "back off and retry"
  '12': 'invalid-request', // message too long
  '14': 'auth-failed', // invalid signature
  '15': 'invalid-sender', // invalid sender address
  '22': 'invalid-number', // invalid network code
  '29': 'region-not-allowed', // non-whitelisted destination
  '32': 'auth-failed', // signature and API secret disallowed
  '33': 'invalid-number', // number de-activated
};

/** GSM 03.38 basic set and extension table: texts made only of these go as `text`, others as `unicode`. */
const GSM7 = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€',
);

/** True when `text` can be sent in GSM-7 (Vonage `type=text`). */
export function isGsm7(text: string): boolean {
  for (const ch of text) if (!GSM7.has(ch)) return false;
  return true;
}

/** Sends through Vonage's SMS API. */
export class VonageSmsProvider implements SmsProvider {
  readonly name = 'vonage';
  readonly #settings: VonageSettings;
  readonly #url: string;
  readonly #log: ProviderLog;

  constructor(settings: VonageSettings) {
    this.#settings = settings;
    this.#url = `${(settings.baseUrl ?? VONAGE_DEFAULT_BASE_URL).replace(/\/+$/, '')}/sms/json`;
    this.#log = settings.log ?? SILENT_LOG;
  }

  async send(message: OutgoingSms, options: { signal?: AbortSignal } = {}): Promise<SendResult> {
    const form = new URLSearchParams({
      api_key: this.#settings.apiKey,
      api_secret: this.#settings.apiSecret,
      from: this.#settings.from.replace(/^\+/, ''),
      to: message.to.replace(/^\+/, ''),
      text: message.body,
      'client-ref': message.reference.slice(0, 100), // Vonage: at most 100 characters
    });
    if (!isGsm7(message.body)) form.set('type', 'unicode');
    if (this.#settings.callbackUrl !== undefined) form.set('callback', this.#settings.callbackUrl);
    try {
      const response = await providerFetch(this.name, this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        timeoutMs: this.#settings.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (response.status !== 200) throw classifyHttpStatus(this.name, response);
      const result = this.#readAnswer(parseJson(response.text));
      this.#log.info({ provider: this.name, to: maskPhone(message.to) }, 'sms accepted by provider');
      return result;
    } catch (error) {
      const classified = error instanceof ProviderError ? error : new ProviderError(this.name, 'malformed-response');
      this.#log.warn(
        { provider: this.name, to: maskPhone(message.to), reason: classified.reason, httpStatus: classified.httpStatus, providerCode: classified.providerCode },
        'sms refused by provider',
      );
      throw classified;
    }
  }

  /** Reads `{message-count, messages[]}`: every part must have status "0" (a long text is several parts). */
  #readAnswer(json: unknown): SendResult {
    const messages = isRecord(json) && Array.isArray(json.messages) ? (json.messages as unknown[]) : [];
    if (messages.length === 0 || !messages.every(isRecord)) throw new ProviderError(this.name, 'malformed-response', { httpStatus: 200 });
    for (const part of messages as Record<string, unknown>[]) {
      // Vonage's status is a numeric string; anything else is not an answer we can read.
      const status = numericCode(part.status);
      if (status === undefined) throw new ProviderError(this.name, 'malformed-response', { httpStatus: 200 });
      if (status !== '0') throw new ProviderError(this.name, VONAGE_CODES[status] ?? 'rejected', { httpStatus: 200, providerCode: status });
    }
    const first = messages[0] as Record<string, unknown>;
    const id = first['message-id'];
    if (typeof id !== 'string' || !/^[0-9A-Za-z-]{1,64}$/.test(id)) throw new ProviderError(this.name, 'malformed-response', { httpStatus: 200 });
    // Status 0 is "accepted for delivery", not yet with the carrier.
    return { providerMessageId: id, status: 'queued' };
  }
}
