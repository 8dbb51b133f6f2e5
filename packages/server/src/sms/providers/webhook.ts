/**
 * @module sms/providers/webhook
 * The generic HTTPS webhook provider, for any SMS gateway Handset has no adapter for: a JSON POST
 * to `HANDSET_WEBHOOK_SMS_URL`, signed with Standard Webhooks headers (protocol/channels.md §3)
 * by the `standardwebhooks` package, and a signed status callback back (the contract is in
 * docs/channels.md, "Generic HTTPS webhook").
 *
 * Request: `{"type":"sms.send","timestamp":ISO-8601,"data":{"messageId","to","body","callbackUrl"?}}`
 * with `webhook-id` = Handset's message id (the same on every attempt, so the gateway can drop
 * repeats). Answer: 2xx `{"id": gateway's message id, "status"?: "queued"|"sending"|"sent"|"delivered"}`;
 * a refusal may name a reason: `{"code": one of the documented reasons}`.
 */
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { maskPhone } from '../../lib/phone.js';
import { classifyHttpStatus, DEFAULT_PROVIDER_TIMEOUT_MS, isRecord, parseJson, parseRetryAfter, providerFetch } from './http.js';
import {
  isPermanentReason,
  isProviderErrorReason,
  ProviderError,
  SILENT_LOG,
  type OutgoingSms,
  type ProviderLog,
  type SendResult,
  type SmsProvider,
  type SmsStatus,
  type SmsStatusUpdate,
} from './provider.js';

/** Settings of {@link WebhookSmsProvider}. */
export interface WebhookSmsSettings {
  url: string;
  /** `whsec_` + base64 of the key bytes (Standard Webhooks). */
  secret: string;
  /** Where the gateway posts status updates (sent as `data.callbackUrl` when set). */
  callbackUrl?: string;
  timeoutMs?: number;
  log?: ProviderLog;
  /** The clock for `webhook-timestamp` (tests). */
  now?: () => Date;
}

/** A gateway's message id: 1–128 visible ASCII characters. */
const GATEWAY_ID = /^[\x21-\x7e]{1,128}$/;

/** Statuses a gateway may answer a send with (a final failure is an error answer instead). */
const SEND_STATUSES = new Set<SmsStatus>(['queued', 'sending', 'sent', 'delivered']);
const ALL_STATUSES = new Set<string>(['queued', 'sending', 'sent', 'delivered', 'failed', 'undeliverable']);

/** Sends by POSTing a signed JSON event to an SMS gateway. */
export class WebhookSmsProvider implements SmsProvider {
  readonly name = 'webhook';
  readonly #settings: WebhookSmsSettings;
  readonly #signer: Webhook;
  readonly #log: ProviderLog;

  constructor(settings: WebhookSmsSettings) {
    this.#settings = settings;
    this.#signer = new Webhook(settings.secret);
    this.#log = settings.log ?? SILENT_LOG;
  }

  async send(message: OutgoingSms, options: { signal?: AbortSignal } = {}): Promise<SendResult> {
    const now = this.#settings.now?.() ?? new Date();
    const data: Record<string, string> = { messageId: message.reference, to: message.to, body: message.body };
    if (this.#settings.callbackUrl !== undefined) data.callbackUrl = this.#settings.callbackUrl;
    const payload = JSON.stringify({ type: 'sms.send', timestamp: now.toISOString(), data });
    try {
      const response = await providerFetch(this.name, this.#settings.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'webhook-id': message.reference,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': this.#signer.sign(message.reference, now, payload),
        },
        body: payload,
        timeoutMs: this.#settings.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const json = parseJson(response.text);
      if (response.status >= 200 && response.status < 300) {
        const status = isRecord(json) && json.status !== undefined ? json.status : 'queued';
        if (!isRecord(json) || typeof json.id !== 'string' || !GATEWAY_ID.test(json.id) || !SEND_STATUSES.has(status as SmsStatus)) {
          throw new ProviderError(this.name, 'malformed-response', { httpStatus: response.status });
        }
        this.#log.info({ provider: this.name, to: maskPhone(message.to) }, 'sms accepted by provider');
        return { providerMessageId: json.id, status: status as SmsStatus };
      }
      const code = isRecord(json) ? json.code : undefined;
      // A gateway's own reason counts only for a refusal (4xx); 429 and 5xx keep their meaning.
      if (response.status >= 400 && response.status < 500 && response.status !== 429 && isProviderErrorReason(code)) {
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        throw new ProviderError(this.name, code, { httpStatus: response.status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
      }
      throw classifyHttpStatus(this.name, response);
    } catch (error) {
      const classified = error instanceof ProviderError ? error : new ProviderError(this.name, 'malformed-response');
      this.#log.warn(
        { provider: this.name, to: maskPhone(message.to), reason: classified.reason, httpStatus: classified.httpStatus },
        'sms refused by provider',
      );
      throw classified;
    }
  }
}

/** Why a gateway callback was refused. */
export class WebhookCallbackError extends Error {
  override name = 'WebhookCallbackError';
}

/** A verified gateway callback: the status update and the `webhook-id` to deduplicate by. */
export interface WebhookSmsCallback {
  webhookId: string;
  update: SmsStatusUpdate;
}

/**
 * Verifies a gateway's status callback (Standard Webhooks: signature over the raw body, timestamp
 * within five minutes) and reads it: `{"type":"sms.status","data":{"messageId","id","status",
 * "errorCode"?,"reason"?}}`. Throws {@link WebhookCallbackError} for a bad signature, an old or
 * future timestamp, or a body that is not such an event. The caller drops repeats by `webhookId`.
 */
export function verifyWebhookSmsCallback(rawBody: string, headers: Record<string, string | string[] | undefined>, secret: string): WebhookSmsCallback {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') flat[name.toLowerCase()] = value;
    else if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') flat[name.toLowerCase()] = value[0];
  }
  try {
    new Webhook(secret).verify(rawBody, flat, { jsonParse: false });
  } catch (error) {
    // The library's messages name no secret ("No matching signature found", "Message timestamp too old").
    throw new WebhookCallbackError(error instanceof WebhookVerificationError ? error.message : 'unverifiable callback');
  }
  const json = parseJson(rawBody);
  const data = isRecord(json) && json.type === 'sms.status' && isRecord(json.data) ? json.data : undefined;
  if (!data || typeof data.id !== 'string' || data.id === '' || typeof data.status !== 'string' || !ALL_STATUSES.has(data.status)) {
    throw new WebhookCallbackError('not an sms.status event');
  }
  const update: SmsStatusUpdate = { providerMessageId: data.id, status: data.status as SmsStatus };
  if (typeof data.messageId === 'string' && data.messageId !== '') update.reference = data.messageId;
  if (typeof data.errorCode === 'string' && data.errorCode !== '') update.errorCode = data.errorCode;
  if (isPermanentReason(data.reason) && (update.status === 'failed' || update.status === 'undeliverable')) update.reason = data.reason;
  return { webhookId: flat['webhook-id'] ?? '', update };
}
