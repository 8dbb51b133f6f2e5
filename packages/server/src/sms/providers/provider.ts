/**
 * @module sms/providers/provider
 * The SMS provider port the courier sends through, the message statuses Handset keeps, and the one
 * error type every adapter throws: {@link ProviderError}, classified `retryable` or `permanent`
 * with a stable reason from a fixed vocabulary (docs/channels.md, "Errors: classification and
 * reasons"). Error messages never carry a provider's free text: Twilio and Vonage echo the
 * destination number in theirs, and a number must not reach a log in full.
 */

/** A message handed to a provider. */
export interface OutgoingSms {
  /** Destination, E.164 (`+447700900123`). */
  to: string;
  body: string;
  /** Handset's message id: sent where the provider carries a client reference, and as the webhook id. */
  reference: string;
}

/**
 * A message's status as Handset keeps it (CH1). Providers' own statuses map onto these:
 * `queued` accepted, not yet handed to a carrier (in Handset's queue or the provider's);
 * `sending` on its way to the carrier; `sent` accepted by the carrier; `delivered` the handset
 * confirmed it; `failed` never left the provider (refused or given up); `undeliverable` the
 * carrier or the handset could not take it.
 */
export type SmsStatus = 'queued' | 'sending' | 'sent' | 'delivered' | 'failed' | 'undeliverable';

/** Every status, in lifecycle order. */
export const SMS_STATUSES: readonly SmsStatus[] = ['queued', 'sending', 'sent', 'delivered', 'failed', 'undeliverable'];

/** What a provider answered when it took a message. */
export interface SendResult {
  /** The provider's id for the message (Twilio `SM…`, Vonage `message-id`, the gateway's id). */
  providerMessageId: string;
  status: SmsStatus;
}

/** The port: one SMS provider (or a chain of them). */
export interface SmsProvider {
  /** `twilio`, `vonage`, `webhook` (or `chain`): stored with each message and used in logs. */
  readonly name: string;
  /**
   * Hands one message to the provider. Resolves once the provider accepted it; rejects only with a
   * {@link ProviderError}.
   */
  send(message: OutgoingSms, options?: { signal?: AbortSignal }): Promise<SendResult>;
}

/** Reasons after which the same message may succeed later or at another provider. */
export const RETRYABLE_REASONS = [
  'rate-limited', // HTTP 429, Twilio 20429, Vonage 1 (throttled) / 10 (too many binds)
  'provider-unavailable', // HTTP 5xx, Vonage 5 (internal error)
  'timeout', // no answer within the configured time
  'network-error', // connection refused / reset / DNS
  'malformed-response', // a 2xx the adapter cannot read (not JSON, truncated, fields missing)
] as const;

/** Reasons that will not change by retrying the same message. */
export const PERMANENT_REASONS = [
  'auth-failed', // credentials refused (401/403, Twilio 20003, Vonage 4/14/32)
  'invalid-number', // the destination is not a valid number (Twilio 21211, Vonage 6/33)
  'not-mobile', // the destination cannot receive SMS (Twilio 21614, 30006)
  'opted-out', // the recipient sent STOP (Twilio 21610)
  'recipient-blocked', // the destination is barred (Vonage 7)
  'region-not-allowed', // the account may not send there (Twilio 21408/21612, Vonage 29)
  'carrier-filtered', // the carrier refused the content (Twilio 30007, in a status callback)
  'invalid-sender', // From / sender id refused (Twilio 21212/21606, Vonage 15)
  'insufficient-funds', // out of credit (Vonage 9)
  'account-disabled', // account suspended (Vonage 8)
  'invalid-request', // the provider refused the request's shape (other documented 400s)
  'rejected', // any other refusal (other 4xx, unknown non-zero codes)
] as const;

export type RetryableReason = (typeof RETRYABLE_REASONS)[number];
export type PermanentReason = (typeof PERMANENT_REASONS)[number];
export type ProviderErrorReason = RetryableReason | PermanentReason;

const RETRYABLE = new Set<string>(RETRYABLE_REASONS);
const ALL_REASONS = new Set<string>([...RETRYABLE_REASONS, ...PERMANENT_REASONS]);

/** True when `value` is one of the documented reasons. */
export function isProviderErrorReason(value: unknown): value is ProviderErrorReason {
  return typeof value === 'string' && ALL_REASONS.has(value);
}

/** True when `value` is one of the permanent reasons. */
export function isPermanentReason(value: unknown): value is PermanentReason {
  return isProviderErrorReason(value) && !RETRYABLE.has(value);
}

/** Details of a classified failure, as an adapter knows them. */
export interface ProviderErrorDetails {
  /** HTTP status of the provider's answer, when there was one. */
  httpStatus?: number;
  /** The provider's own error code (Twilio `code`, Vonage `status`), as a string. */
  providerCode?: string;
  /** How long the provider asked us to wait (from `Retry-After`), in milliseconds. */
  retryAfterMs?: number;
}

/**
 * A classified send failure. `retryable` follows from the reason; the message is built from the
 * provider name, the reason and the codes only (never the provider's text, the request or a secret).
 */
export class ProviderError extends Error {
  override name = 'ProviderError';
  readonly provider: string;
  readonly reason: ProviderErrorReason;
  readonly retryable: boolean;
  readonly httpStatus: number | undefined;
  readonly providerCode: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(provider: string, reason: ProviderErrorReason, details: ProviderErrorDetails = {}) {
    const parts = [
      details.httpStatus !== undefined ? `HTTP ${details.httpStatus}` : null,
      details.providerCode !== undefined ? `code ${details.providerCode}` : null,
      details.retryAfterMs !== undefined ? `retry after ${Math.ceil(details.retryAfterMs / 1000)} s` : null,
    ].filter((p) => p !== null);
    super(`${provider}: ${reason}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`);
    this.provider = provider;
    this.reason = reason;
    this.retryable = RETRYABLE.has(reason);
    this.httpStatus = details.httpStatus;
    this.providerCode = details.providerCode;
    this.retryAfterMs = details.retryAfterMs;
  }

  /** `retryable` or `permanent`. */
  get classification(): 'retryable' | 'permanent' {
    return this.retryable ? 'retryable' : 'permanent';
  }
}

/** A status update from a provider callback, in Handset's terms. */
export interface SmsStatusUpdate {
  providerMessageId: string;
  status: SmsStatus;
  /** The provider's error code on failure (Twilio `ErrorCode`, Vonage `err-code`). */
  errorCode?: string;
  /** The reason a session carries, when the provider's error code is one Handset knows. */
  reason?: PermanentReason;
  /** Handset's message id, when the provider echoes it (Vonage `client-ref`, the webhook gateway). */
  reference?: string;
}

/** The slice of a pino / Fastify logger the adapters use. */
export interface ProviderLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** A logger that drops everything (the default). */
export const SILENT_LOG: ProviderLog = { info: () => undefined, warn: () => undefined };
