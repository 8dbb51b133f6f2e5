/**
 * @module sms/providers/twilio-callback
 * Twilio status callbacks (protocol/channels.md §1): a form POST to our `StatusCallback` URL,
 * signed with `X-Twilio-Signature` = base64(HMAC-SHA1(AuthToken, url + each parameter's name and
 * value, in name order)). Verify against the URL Handset configured as `StatusCallback`, not one
 * rebuilt from the request's Host header: behind a proxy the two differ, and the configured one
 * is what Twilio signed.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SmsStatusUpdate } from './provider.js';
import { twilioDeliveryReason, twilioStatus } from './twilio.js';

/** Callback parameters: a parsed form (repeated names as arrays) or URLSearchParams. */
export type CallbackParams = URLSearchParams | Record<string, string | readonly string[] | undefined>;

function entries(params: CallbackParams): Map<string, string[]> {
  const map = new Map<string, string[]>();
  const add = (name: string, value: string): void => {
    const list = map.get(name);
    if (list) list.push(value);
    else map.set(name, [value]);
  };
  if (params instanceof URLSearchParams) for (const [name, value] of params) add(name, value);
  else
    for (const [name, value] of Object.entries(params)) {
      if (value === undefined) continue;
      if (typeof value === 'string') add(name, value);
      else for (const v of value) add(name, v);
    }
  return map;
}

/** The signature Twilio computes for a callback to `url` with `params` (exported for the test fakes). */
export function twilioSignature(url: string, params: CallbackParams, authToken: string): string {
  let data = url;
  const map = entries(params);
  // Names in byte order (Twilio: "Unix-style case-sensitive sort"); a repeated name's values sorted too.
  for (const name of [...map.keys()].sort()) for (const value of [...(map.get(name) ?? [])].sort()) data += name + value;
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/**
 * True when `signature` (the `X-Twilio-Signature` header) is Twilio's signature of this callback.
 * Compared in constant time; a missing or malformed header is false.
 */
export function verifyTwilioCallback(url: string, params: CallbackParams, signature: string | undefined, authToken: string): boolean {
  if (typeof signature !== 'string' || signature === '' || authToken === '') return false;
  const expected = Buffer.from(twilioSignature(url, params, authToken), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Reads a (verified) Twilio status callback. Returns null when it is not one Handset can use: no
 * `MessageSid`, or a `MessageStatus` outside the documented set.
 */
export function parseTwilioStatusCallback(params: CallbackParams): SmsStatusUpdate | null {
  const map = entries(params);
  const one = (name: string): string | undefined => map.get(name)?.[0];
  const sid = one('MessageSid') ?? one('SmsSid');
  const status = twilioStatus(one('MessageStatus') ?? one('SmsStatus'));
  if (sid === undefined || sid === '' || status === undefined) return null;
  const errorCode = one('ErrorCode');
  const update: SmsStatusUpdate = { providerMessageId: sid, status };
  if (errorCode !== undefined && errorCode !== '') {
    update.errorCode = errorCode;
    const reason = twilioDeliveryReason(errorCode);
    if (reason !== undefined && (status === 'failed' || status === 'undeliverable')) update.reason = reason;
  }
  return update;
}
