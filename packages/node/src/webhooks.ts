/**
 * @module webhooks
 * Verifies Handset's outcome webhooks (Standard Webhooks, docs/webhooks.md): the signature over
 * `${webhook-id}.${webhook-timestamp}.${body}` with HMAC-SHA256 and the `whsec_` secret, one of
 * the space-separated `v1,<base64>` signatures matching, and a timestamp within 5 minutes.
 *
 * Hand-written rather than depending on the `standardwebhooks` package because this SDK has zero
 * runtime dependencies; it uses the Web Crypto API (`globalThis.crypto.subtle`, Node's own crypto)
 * so the bundle imports nothing, and `subtle.verify` compares in constant time.
 */

/** Why a webhook was refused (bad or missing headers, old timestamp, no matching signature). */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
}

/** The headers a webhook arrives with (any casing; Node's `IncomingHttpHeaders` fits). */
export type WebhookHeaders = Record<string, string | string[] | undefined> | Headers;

/** Options of {@link verifyWebhook}. */
export interface VerifyWebhookOptions {
  /** Largest accepted distance between `webhook-timestamp` and now, in seconds (default 300). */
  toleranceSeconds?: number;
  /** The current time in milliseconds (tests); default `Date.now()`. */
  now?: number;
}

/** An event as Handset sends it. */
export interface HandsetWebhookEvent {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

function header(headers: WebhookHeaders, name: string): string {
  if (typeof Headers !== 'undefined' && headers instanceof Headers) return headers.get(name) ?? '';
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

function base64Bytes(text: string): Uint8Array<ArrayBuffer> | null {
  try {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
}

/**
 * Verifies a webhook and returns its parsed event; throws {@link WebhookVerificationError} when it
 * must be refused. Pass the raw body exactly as received (not re-serialised JSON). Deduplicate by
 * the `webhook-id` header afterwards: a retry or a redelivery carries the same id.
 *
 * @example
 * ```ts
 * import { verifyWebhook } from '@handset/node';
 * // Express: app.post('/hooks/handset', express.text({ type: '*\/*' }), async (req, res) => { … })
 * const event = await verifyWebhook(req.body, req.headers, process.env.HANDSET_WEBHOOK_SECRET!);
 * if (event.type === 'session.succeeded') markVerified(event.data.correlationId);
 * ```
 */
export async function verifyWebhook(
  payload: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string,
  options: VerifyWebhookOptions = {},
): Promise<HandsetWebhookEvent> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError('missing webhook-id, webhook-timestamp or webhook-signature');
  if (!/^\d{1,15}$/.test(timestamp)) throw new WebhookVerificationError('webhook-timestamp is not a number of seconds');
  const tolerance = options.toleranceSeconds ?? 300;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - Number(timestamp)) > tolerance) throw new WebhookVerificationError('webhook-timestamp is too far from now');
  const keyBytes = base64Bytes(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret);
  if (!keyBytes || keyBytes.length === 0) throw new WebhookVerificationError('the secret is not whsec_ + base64');
  const body = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
  const subtle = globalThis.crypto.subtle;
  const key = await subtle.importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const signed = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
  for (const candidate of signatures.split(' ')) {
    const [version, value] = candidate.split(',', 2);
    if (version !== 'v1' || !value) continue;
    const signature = base64Bytes(value);
    if (signature && (await subtle.verify('HMAC', key, signature, signed))) {
      try {
        return JSON.parse(body) as HandsetWebhookEvent;
      } catch {
        throw new WebhookVerificationError('the body is not JSON');
      }
    }
  }
  throw new WebhookVerificationError('no signature matches');
}
