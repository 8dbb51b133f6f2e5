/**
 * Helpers of the courier tests: the environment that points a server's SMS providers at the local
 * fakes, a bounded wait for something to become true (no timing assertion: only a deadline so a
 * hung test fails), and reading a queued message's row.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.js';
import type { TwilioFake } from './fakes/twilio-fake.js';
import { VonageFake } from './fakes/vonage-fake.js';
import type { RecordedRequest } from './fakes/fake-http.js';

/** Twilio's magic test sender. */
export const TWILIO_FROM = '+15005550006';

/** HANDSET_* variables for the given fakes, in the order given (the chain's order). */
export function courierEnv(providers: Array<TwilioFake | VonageFake>, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { HANDSET_SMS_POLL_MS: '100', HANDSET_SMS_TIMEOUT_MS: '2000', ...extra };
  const names: string[] = [];
  for (const fake of providers) {
    if (fake instanceof VonageFake) {
      names.push('vonage');
      Object.assign(env, { HANDSET_VONAGE_API_KEY: fake.apiKey, HANDSET_VONAGE_API_SECRET: fake.apiSecret, HANDSET_VONAGE_FROM: 'Handset', HANDSET_VONAGE_BASE_URL: fake.url });
    } else {
      names.push('twilio');
      Object.assign(env, {
        HANDSET_TWILIO_ACCOUNT_SID: fake.accountSid,
        HANDSET_TWILIO_AUTH_TOKEN: fake.authToken,
        HANDSET_TWILIO_FROM: TWILIO_FROM,
        HANDSET_TWILIO_BASE_URL: fake.url,
      });
    }
  }
  env.HANDSET_SMS_PROVIDERS = names.join(',');
  return env;
}

/** Waits until `check` returns a value other than undefined/false; fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The destination and text of a request a fake received (Twilio `To`/`Body`, Vonage `to`/`text`). */
export function sentMessage(r: RecordedRequest): { to: string; body: string; reference: string | null } {
  const vonage = VonageFake.fields(r);
  if (vonage.has('text')) return { to: `+${vonage.get('to') ?? ''}`, body: vonage.get('text') ?? '', reference: vonage.get('client-ref') ?? null };
  return { to: r.form.get('To') ?? '', body: r.form.get('Body') ?? '', reference: null };
}

/** The newest message a fake received for `to`. */
export async function receivedBy(fake: TwilioFake | VonageFake, to: string): Promise<{ body: string; code: string | null; link: string | null }> {
  const found = await eventually(`a message to ${to.slice(0, 5)}… at the fake`, () => fake.requests.map(sentMessage).filter((m) => m.to === to).at(-1));
  return { body: found.body, code: /\b(\d{4,6})\b/.exec(found.body)?.[1] ?? null, link: /(https?:\/\/\S+)/.exec(found.body)?.[1] ?? null };
}

/** Every queued message row (for asserting status, provider, attempts, last error). */
export async function messageRows(db: Kysely<Database>): Promise<
  Array<{ id: string; to_e164: string; status: string; provider: string; provider_message_id: string | null; attempts: number; last_error: string | null; next_attempt_at: number | null; correlation_id: string | null }>
> {
  const rows = await db
    .selectFrom('sms_outbox')
    .select(['id', 'to_e164', 'status', 'provider', 'provider_message_id', 'attempts', 'last_error', 'next_attempt_at', 'correlation_id'])
    .orderBy('sent_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ ...r, attempts: Number(r.attempts), next_attempt_at: r.next_attempt_at === null ? null : Number(r.next_attempt_at) }));
}
