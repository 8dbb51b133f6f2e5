/**
 * @module e2e/web/support/outbox
 * Reads SMS from the platform's dev outbox (JSON, newest first) the way a test phone would:
 * wait for a new message to a number, then take the code or the link out of its body.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { TestServer } from '@handset/server/testing';

/** How many messages `to` has received so far. */
export async function smsCount(server: TestServer, to: string): Promise<number> {
  return (await server.outbox()).filter((m) => m.to === to).length;
}

/** Waits (bounded) until `to` has more than `seen` messages and returns the newest body. */
export async function waitForSms(server: TestServer, to: string, seen: number, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const messages = (await server.outbox()).filter((m) => m.to === to);
    if (messages.length > seen) return messages[0]!.body;
    await delay(100);
  }
  throw new Error(`no new SMS to ${to.slice(0, 3)}…${to.slice(-2)} within ${timeoutMs} ms`);
}

/** The one-time code in an OTP SMS. */
export function codeFrom(body: string): string {
  const code = /\b(\d{4,8})\b/.exec(body)?.[1];
  if (!code) throw new Error('SMS has no code');
  return code;
}

/** The Instant Link URL in an SMS. */
export function linkFrom(body: string): string {
  const link = /(https?:\/\/\S+\/v1\/il\/[^\s]+)/.exec(body)?.[1];
  if (!link) throw new Error('SMS has no Instant Link');
  return link;
}

/** A code that is certainly wrong: same length, different digits. */
export function wrongCode(code: string): string {
  return [...code].map((digit) => String((Number(digit) + 1) % 10)).join('');
}
