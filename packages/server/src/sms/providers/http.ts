/**
 * @module sms/providers/http
 * The one HTTP call every adapter makes: Node's fetch (undici) with a deadline, a bounded body
 * read, and transport failures turned into classified {@link ProviderError}s. What a status or
 * body means is each adapter's business; this module only answers "what came back".
 */
import { ProviderError } from './provider.js';

/** Default deadline for one provider request (connect, answer and body). */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 5000;
/** Answers larger than this are not read to the end (a provider's answer is a few hundred bytes). */
const MAX_BODY_BYTES = 64 * 1024;
/** The longest Retry-After honoured; a longer one is capped (a provider cannot park us for days). */
const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/** A provider's answer, read in full. */
export interface ProviderResponse {
  status: number;
  headers: Headers;
  /** The body as text (UTF-8). */
  text: string;
}

/** Options of {@link providerFetch}. */
export interface ProviderFetchOptions {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** The caller's own signal (shutdown); aborting it counts as a timeout. */
  signal?: AbortSignal;
}

class BodyTooLarge extends Error {}

async function readBody(response: Response): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * POSTs to a provider and reads its answer. Throws a `timeout` ProviderError when the deadline
 * passes (before or during the body), `network-error` when no answer came (refused, reset, DNS),
 * `malformed-response` when the body broke off or was too large. Never includes the URL or the
 * request in an error: the URL may hold an account id and the body holds secrets (Vonage).
 */
export async function providerFetch(provider: string, url: string, options: ProviderFetchOptions): Promise<ProviderResponse> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  let response: Response;
  try {
    response = await fetch(url, { method: options.method, headers: options.headers, body: options.body, signal, redirect: 'manual' });
  } catch {
    // undici throws TypeError('fetch failed') with the cause (ECONNREFUSED, …) or the abort reason.
    throw new ProviderError(provider, signal.aborted ? 'timeout' : 'network-error');
  }
  try {
    return { status: response.status, headers: response.headers, text: await readBody(response) };
  } catch {
    // A deadline reached while reading is still a timeout; a cut or oversized body is a bad answer.
    throw new ProviderError(provider, signal.aborted ? 'timeout' : 'malformed-response', { httpStatus: response.status });
  }
}

/**
 * `Retry-After` in milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when
 * absent or unreadable; capped at an hour.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  let ms: number;
  if (/^[0-9]+$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - now);
  }
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/** Parses JSON, or returns undefined (never throws). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * A provider error code fit to keep and log: digits only (Twilio `code`, Vonage `status`).
 * Anything else is dropped, since a provider (or something posing as one) could put any text there,
 * a number or our own secret included.
 */
export function numericCode(value: unknown): string | undefined {
  const text = typeof value === 'number' && Number.isInteger(value) ? String(value) : value;
  return typeof text === 'string' && /^[0-9]{1,8}$/.test(text) ? text : undefined;
}

/** True for a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Classifies an answer by its HTTP status alone (when the body says nothing more specific). */
export function classifyHttpStatus(provider: string, response: ProviderResponse, providerCode?: string): ProviderError {
  const { status } = response;
  const details = { httpStatus: status, ...(providerCode !== undefined ? { providerCode } : {}) };
  // Retry-After counts on 429 and on 5xx (a 503 during maintenance says when to come back).
  const retryAfterMs = status === 429 || status >= 500 ? parseRetryAfter(response.headers.get('retry-after')) : undefined;
  const waiting = retryAfterMs !== undefined ? { ...details, retryAfterMs } : details;
  if (status === 429) return new ProviderError(provider, 'rate-limited', waiting);
  if (status >= 500) return new ProviderError(provider, 'provider-unavailable', waiting);
  if (status === 401 || status === 403) return new ProviderError(provider, 'auth-failed', details);
  if (status === 408) return new ProviderError(provider, 'timeout', details);
  // Anything else, redirects included (they are not followed: a base URL that redirects is wrong).
  return new ProviderError(provider, 'rejected', details);
}
