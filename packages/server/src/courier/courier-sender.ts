/**
 * @module courier/courier-sender
 * The SMS-sender port when real providers are configured: a step's message is queued in the step's
 * own transaction (a step that rolls back leaves no message) and the dispatcher is nudged once that
 * transaction has committed. Nothing is sent here: no network I/O under the session's row lock.
 */
import { maskPhone } from '../lib/phone.js';
import type { Clock } from '../ports/clock.js';
import type { Random } from '../ports/random.js';
import type { SmsMessage, SmsSender } from '../sms/sms-sender.js';
import { afterCommit } from '../store/after-commit.js';
import type { Executor } from '../store/executor.js';
import { enqueueMessage } from './queue.js';

/** The slice of a logger the courier uses. */
export interface CourierLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export class CourierSmsSender implements SmsSender {
  readonly name = 'courier';
  readonly #deps: { clock: Clock; random: Random; log: CourierLog; nudge: () => void };

  constructor(deps: { clock: Clock; random: Random; log: CourierLog; nudge: () => void }) {
    this.#deps = deps;
  }

  async send(message: SmsMessage, q: Executor): Promise<void> {
    const id = this.#deps.random.uuid();
    await enqueueMessage(q, {
      id,
      to: message.to,
      body: message.body,
      clientId: message.clientId,
      correlationId: message.correlationId ?? null,
      now: this.#deps.clock.now(),
    });
    afterCommit(q, this.#deps.nudge);
    this.#deps.log.info({ messageId: id, to: maskPhone(message.to) }, 'sms queued');
  }
}
