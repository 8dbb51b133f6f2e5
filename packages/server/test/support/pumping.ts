/**
 * @module pumping
 * The SMS-pumping attack as a sign-up page lets anyone play it (issue 12): `/v3/unify` + its OTP
 * start straight away (an attacker skips the SDK's device step), for many numbers, 25 at a time, from one
 * client, over one keep-alive agent (real sockets, a fraction of fetch's cost per call: the
 * attack tests make thousands of calls on a 2-core machine). Plus readers of what the policy did.
 */
import assert from 'node:assert/strict';
import type { TestServer } from '../../src/testing.js';
import { Integrator, KeepAliveTransport } from './attack.js';
import { ProtocolClient, type Reply } from './protocol-client.js';

/** A protocol client whose calls go through `transport`. */
class KeepAliveClient extends ProtocolClient {
  readonly #transport: KeepAliveTransport;
  constructor(authToken: string, transport: KeepAliveTransport) {
    super(authToken);
    this.#transport = transport;
  }

  override call<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
    return this.#transport.post<T>(this.endp + path, body, { authorization: `Bearer ${this.authToken}`, ...headers });
  }
}

export const PUMP_BATCH = 25;

/** One client of `server` pumping texts; `close()` ends its sockets. */
export class Pump {
  readonly #transport = new KeepAliveTransport();
  readonly #integrator: Integrator;

  constructor(server: TestServer) {
    this.#integrator = new Integrator(server.url, server, this.#transport.post);
  }

  /** One session: a mobile start, then its OTP start at once (the state machine allows it from `created`). */
  async otpStart(phoneNumber: string): Promise<{ correlationId: string; denied: boolean }> {
    const started = await this.#integrator.unify({ possessionType: 'mobile', phoneNumber });
    const client = new KeepAliveClient(started.authToken!, this.#transport);
    const reply = await client.otpStart();
    assert.equal(reply.status, 200);
    assert.equal(reply.body.next, 'mobile/otp');
    const data = reply.body.data as { code?: number } | undefined;
    if (data?.code !== undefined) assert.equal(data.code, 2, 'a denied send asks for another number (INVALID_PHONE_NUMBER)');
    return { correlationId: started.correlationId, denied: data?.code !== undefined };
  }

  /** `count` sessions to `numberOf(0…count-1)`, {@link PUMP_BATCH} at a time: the ids of sessions whose text went out and of those refused. */
  async run(count: number, numberOf: (i: number) => string): Promise<{ sent: string[]; refused: string[] }> {
    const sent: string[] = [];
    const refused: string[] = [];
    for (let start = 0; start < count; start += PUMP_BATCH) {
      const batch = await Promise.all(Array.from({ length: Math.min(PUMP_BATCH, count - start) }, (_, j) => this.otpStart(numberOf(start + j))));
      for (const r of batch) (r.denied ? refused : sent).push(r.correlationId);
    }
    return { sent, refused };
  }

  close(): void {
    this.#transport.close();
  }
}

/** The sessions whose timeline has `rule` matched and enforced with `code`, sorted. */
export async function deniedBy(server: TestServer, rule: string, code: number): Promise<string[]> {
  const rows = await server.server.deps.db.kysely
    .selectFrom('session_events')
    .select('correlation_id')
    .where('type', '=', `policy:${rule}`)
    .where('reason', '=', `matched:deny_send:enforced:${code}`)
    .execute();
  return rows.map((r) => r.correlation_id).sort();
}

/** Texts queued to numbers starting with `prefix`. */
export async function textsTo(server: TestServer, prefix: string): Promise<number> {
  const rows = await server.server.deps.db.kysely
    .selectFrom('sms_outbox')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('to_e164', 'like', `${prefix}%`)
    .execute();
  return Number(rows[0]!.n);
}
