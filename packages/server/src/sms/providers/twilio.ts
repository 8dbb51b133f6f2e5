/**
 * @module sms/providers/twilio
 * Twilio Programmable Messaging (protocol/channels.md §1): `POST {base}/2010-04-01/Accounts/{sid}/Messages.json`,
 * HTTP Basic `AccountSid:AuthToken`, a form body (`To`, `Body`, `From` or `MessagingServiceSid`,
 * optional `StatusCallback`). A 201 carries `sid` and `status`; errors carry `{code, message,
 * more_info, status}` and are classified by `code`, then by HTTP status.
 */
import { maskPhone } from '../../lib/phone.js';
import { classifyHttpStatus, DEFAULT_PROVIDER_TIMEOUT_MS, isRecord, numericCode, parseJson, parseRetryAfter, providerFetch } from './http.js';
import {
  ProviderError,
  RETRYABLE_REASONS,
  SILENT_LOG,
  type OutgoingSms,
  type PermanentReason,
  type ProviderErrorReason,
  type ProviderLog,
  type RetryableReason,
  type SendResult,
  type SmsProvider,
  type SmsStatus,
} from './provider.js';

export const TWILIO_DEFAULT_BASE_URL = 'https://api.twilio.com';

/** Settings of {@link TwilioSmsProvider}. Exactly one of `from` and `messagingServiceSid`. */
export interface TwilioSettings {
  accountSid: string;
  authToken: string;
  from?: string;
  messagingServiceSid?: string;
  /** Default {@link TWILIO_DEFAULT_BASE_URL}; tests point it at the local fake. */
  baseUrl?: string;
  /** Absolute URL Twilio posts status callbacks to (omitted when unset). */
  statusCallbackUrl?: string;
  timeoutMs?: number;
  log?: ProviderLog;
}

/** A Message SID: SM (or MM for MMS) and 32 hex digits. */
const MESSAGE_SID = /^(SM|MM)[0-9a-fA-F]{32}$/;

/** Twilio error codes Handset tells apart (the rest are classified by HTTP status). */
const TWILIO_CODES: Record<string, ProviderErrorReason> = {
  '20003': 'auth-failed', // authentication failed
  '20429': 'rate-limited', // too many requests
  '21211': 'invalid-number', // invalid 'To' number
  '21212': 'invalid-sender', // invalid 'From' number
  '21408': 'region-not-allowed', // no permission to send to that region
  '21606': 'invalid-sender', // 'From' is not a valid, SMS-capable number for this account
  '21610': 'opted-out', // recipient replied STOP
  '21612': 'region-not-allowed', // 'To' not reachable from this 'From'
  '21614': 'not-mobile', // 'To' is not a mobile number
};

/** Delivery error codes from status callbacks (`ErrorCode`), for the reason a session carries. */
const TWILIO_DELIVERY_CODES: Record<string, PermanentReason> = {
  '30003': 'rejected', // unreachable destination handset
  '30004': 'recipient-blocked', // message blocked
  '30005': 'invalid-number', // unknown destination handset
  '30006': 'not-mobile', // landline or unreachable carrier
  '30007': 'carrier-filtered', // carrier filtering
  '21610': 'opted-out',
};

/** The permanent reason for a status callback's `ErrorCode`, when Handset knows the code. */
export function twilioDeliveryReason(code: string): PermanentReason | undefined {
  const reason = TWILIO_DELIVERY_CODES[code] ?? TWILIO_CODES[code];
  return reason === undefined || RETRYABLE_REASONS.includes(reason as RetryableReason) ? undefined : (reason as PermanentReason);
}

/** Maps Twilio's `status` / `MessageStatus` onto Handset's statuses (undefined when unknown). */
export function twilioStatus(status: unknown): SmsStatus | undefined {
  switch (status) {
    case 'accepted':
    case 'scheduled':
    case 'queued':
      return 'queued';
    case 'sending':
      return 'sending';
    case 'sent':
      return 'sent';
    case 'delivered':
    case 'read':
      return 'delivered';
    case 'undelivered':
      return 'undeliverable';
    case 'failed':
    case 'canceled':
      return 'failed';
    default:
      return undefined;
  }
}

/** Sends through Twilio's Messages resource. */
export class TwilioSmsProvider implements SmsProvider {
  readonly name = 'twilio';
  readonly #settings: TwilioSettings;
  readonly #url: string;
  readonly #authorization: string;
  readonly #log: ProviderLog;

  constructor(settings: TwilioSettings) {
    if ((settings.from === undefined) === (settings.messagingServiceSid === undefined)) {
      throw new TypeError('twilio: exactly one of from and messagingServiceSid');
    }
    this.#settings = settings;
    const base = (settings.baseUrl ?? TWILIO_DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.#url = `${base}/2010-04-01/Accounts/${encodeURIComponent(settings.accountSid)}/Messages.json`;
    this.#authorization = `Basic ${Buffer.from(`${settings.accountSid}:${settings.authToken}`).toString('base64')}`;
    this.#log = settings.log ?? SILENT_LOG;
  }

  async send(message: OutgoingSms, options: { signal?: AbortSignal } = {}): Promise<SendResult> {
    const form = new URLSearchParams({ To: message.to, Body: message.body });
    if (this.#settings.messagingServiceSid !== undefined) form.set('MessagingServiceSid', this.#settings.messagingServiceSid);
    else form.set('From', this.#settings.from ?? '');
    if (this.#settings.statusCallbackUrl !== undefined) form.set('StatusCallback', this.#settings.statusCallbackUrl);
    try {
      const response = await providerFetch(this.name, this.#url, {
        method: 'POST',
        headers: {
          authorization: this.#authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
        timeoutMs: this.#settings.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const json = parseJson(response.text);
      if (response.status >= 200 && response.status < 300) {
        const status = isRecord(json) ? twilioStatus(json.status) : undefined;
        if (!isRecord(json) || typeof json.sid !== 'string' || !MESSAGE_SID.test(json.sid) || status === undefined) {
          throw new ProviderError(this.name, 'malformed-response', { httpStatus: response.status });
        }
        this.#log.info({ provider: this.name, to: maskPhone(message.to) }, 'sms accepted by provider');
        return { providerMessageId: json.sid, status };
      }
      const code = isRecord(json) ? numericCode(json.code) : undefined;
      const reason = code !== undefined ? TWILIO_CODES[code] : undefined;
      if (reason === undefined) throw classifyHttpStatus(this.name, response, code);
      const retryAfterMs = reason === 'rate-limited' ? parseRetryAfter(response.headers.get('retry-after')) : undefined;
      throw new ProviderError(this.name, reason, {
        httpStatus: response.status,
        providerCode: code,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    } catch (error) {
      const classified = error instanceof ProviderError ? error : new ProviderError(this.name, 'malformed-response');
      this.#log.warn(
        { provider: this.name, to: maskPhone(message.to), reason: classified.reason, httpStatus: classified.httpStatus, providerCode: classified.providerCode },
        'sms refused by provider',
      );
      throw classified;
    }
  }
}
