/**
 * @module sms-sender
 * The SMS-sender port and its first implementation, the outbox: messages are stored in the
 * database and shown on `/dev/outbox` instead of reaching a carrier. Logs show masked numbers only.
 */
import type { FastifyBaseLogger } from 'fastify';
import { maskPhone } from '../lib/phone.js';
import type { Random } from '../ports/random.js';
import type { Clock } from '../ports/clock.js';
import type { Executor } from '../store/executor.js';
import { insertOutboxMessage } from '../store/outbox-repo.js';

export interface SmsMessage {
  /** E.164 destination. */
  to: string;
  body: string;
  clientId: string | null;
  /** The session the message belongs to (the admin timeline lists it there). */
  correlationId?: string | null;
}

export interface SmsSender {
  /** A short name for start-up logs. */
  readonly name: string;
  /** Sends (or queues) a message. Runs inside the caller's transaction when `q` is given. */
  send(message: SmsMessage, q: Executor): Promise<void>;
}

/** Stores each message in the `sms_outbox` table. */
export class OutboxSmsSender implements SmsSender {
  readonly name = 'outbox';
  readonly #deps: { clock: Clock; random: Random; log: FastifyBaseLogger };
  constructor(deps: { clock: Clock; random: Random; log: FastifyBaseLogger }) {
    this.#deps = deps;
  }
  async send(message: SmsMessage, q: Executor): Promise<void> {
    await insertOutboxMessage(q, {
      id: this.#deps.random.uuid(),
      client_id: message.clientId,
      to_e164: message.to,
      body: message.body,
      sent_at: this.#deps.clock.now(),
      correlation_id: message.correlationId ?? null,
    });
    this.#deps.log.info({ to: maskPhone(message.to) }, 'sms stored in the outbox');
  }
}
