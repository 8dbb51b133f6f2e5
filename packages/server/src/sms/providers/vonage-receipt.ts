/**
 * @module sms/providers/vonage-receipt
 * Vonage delivery receipts (protocol/channels.md §2): a GET or POST to the `callback` URL with
 * `msisdn`, `to`, `messageId`, `status`, `err-code`, `message-timestamp`, `client-ref`. With a
 * signature secret, Vonage adds `timestamp` (Unix seconds) and `sig`.
 *
 * The signature (channels.md names no algorithm; Vonage's "Signing Messages" guide and its SDKs
 * are the source): every parameter but `sig`, sorted by name, each written `&name=value` with `&`
 * and `=` in values replaced by `_`; then `md5hash` = MD5(that string + secret) (Vonage's default),
 * or `md5` / `sha1` / `sha256` / `sha512` = HMAC(secret, that string); hex, compared without case
 * (Vonage sends HMACs in upper case) in constant time. A receipt whose `timestamp` is more than
 * five minutes off is refused, so a captured receipt cannot be replayed later.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { SmsStatus, SmsStatusUpdate } from './provider.js';
import type { CallbackParams } from './twilio-callback.js';

/** Signature methods a Vonage account can choose in its dashboard. */
export const VONAGE_SIGNATURE_METHODS = ['md5hash', 'md5', 'sha1', 'sha256', 'sha512'] as const;
export type VonageSignatureMethod = (typeof VONAGE_SIGNATURE_METHODS)[number];

/** How far a signed receipt's `timestamp` may be from our clock. */
export const VONAGE_SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

function single(params: CallbackParams): Map<string, string> {
  const map = new Map<string, string>();
  if (params instanceof URLSearchParams) {
    for (const [name, value] of params) if (!map.has(name)) map.set(name, value);
  } else {
    for (const [name, value] of Object.entries(params)) {
      if (value === undefined) continue;
      const v = typeof value === 'string' ? value : value[0];
      if (v !== undefined) map.set(name, v);
    }
  }
  return map;
}

/** The `sig` Vonage computes over `params` (exported for the test fakes). */
export function vonageSignature(params: CallbackParams, secret: string, method: VonageSignatureMethod): string {
  const map = single(params);
  map.delete('sig');
  let data = '';
  for (const name of [...map.keys()].sort()) data += `&${name}=${(map.get(name) ?? '').replace(/[&=]/g, '_')}`;
  if (method === 'md5hash') return createHash('md5').update(data + secret, 'utf8').digest('hex');
  return createHmac(method, secret).update(data, 'utf8').digest('hex').toUpperCase();
}

/** Why a receipt was refused, or `ok`. */
export type VonageReceiptCheck = 'ok' | 'unsigned' | 'bad-signature' | 'stale';

/**
 * Checks a receipt's `sig` and `timestamp` against the signature secret. `nowSeconds` is the
 * current Unix time (injected so tests need no clock games).
 */
export function verifyVonageReceipt(
  params: CallbackParams,
  secret: string,
  method: VonageSignatureMethod,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): VonageReceiptCheck {
  const map = single(params);
  const sig = map.get('sig');
  const timestamp = map.get('timestamp');
  if (sig === undefined || sig === '' || timestamp === undefined) return 'unsigned';
  if (!/^[0-9a-f]+$/i.test(sig)) return 'bad-signature';
  const expected = Buffer.from(vonageSignature(params, secret, method), 'hex');
  const given = Buffer.from(sig, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad-signature';
  // Checked after the signature, so a refused forgery says "bad-signature" whatever its timestamp.
  if (!/^[0-9]+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > VONAGE_SIGNATURE_TOLERANCE_SECONDS) return 'stale';
  return 'ok';
}

/** Maps a receipt's `status` onto Handset's statuses (undefined for `unknown` and anything else). */
export function vonageReceiptStatus(status: string | undefined): SmsStatus | undefined {
  switch (status) {
    case 'accepted': // accepted by the carrier
    case 'buffered': // with the carrier, waiting for the handset
      return 'sent';
    case 'delivered':
      return 'delivered';
    case 'expired': // the carrier gave up
    case 'failed': // the carrier could not deliver
      return 'undeliverable';
    case 'rejected': // refused by Vonage or the carrier before sending
      return 'failed';
    default:
      return undefined;
  }
}

/**
 * Reads a (verified) delivery receipt; null when it lacks `messageId` or a known `status`. The
 * `err-code` is carried as it came (no reason is derived from it: channels.md does not list the
 * receipt codes, and a guessed mapping would put wrong reasons in sessions).
 */
export function parseVonageReceipt(params: CallbackParams): SmsStatusUpdate | null {
  const map = single(params);
  const id = map.get('messageId');
  const status = vonageReceiptStatus(map.get('status'));
  if (id === undefined || id === '' || status === undefined) return null;
  const update: SmsStatusUpdate = { providerMessageId: id, status };
  const errorCode = map.get('err-code');
  if (errorCode !== undefined && errorCode !== '' && errorCode !== '0') {
    update.errorCode = errorCode;
  }
  const reference = map.get('client-ref');
  if (reference !== undefined && reference !== '') update.reference = reference;
  return update;
}
