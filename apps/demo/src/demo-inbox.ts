/**
 * @module demo-inbox
 * The demo company's own message channel, simulated. A real integrator would text or e-mail the
 * code of its customer-supplied possession check through its own provider; the demo keeps those
 * messages in memory and shows them in a clearly labelled "Demo inbox" panel instead. It is not
 * Handset's SMS outbox: Handset's own texts (OTP codes, Instant Links) are on `/dev/outbox`.
 */
import { maskPhone } from './phone.js';

/** One message, as the page shows it (the number masked). */
export interface InboxMessage {
  to: string;
  body: string;
  sentAt: string;
}

const KEEP = 50;

/** An in-memory inbox, newest message first. */
export class DemoInbox {
  readonly #messages: InboxMessage[] = [];

  /** "Sends" `body` to `phoneNumber`. */
  send(phoneNumber: string, body: string, now: Date): void {
    this.#messages.unshift({ to: maskPhone(phoneNumber), body, sentAt: now.toISOString() });
    this.#messages.length = Math.min(this.#messages.length, KEEP);
  }

  /** The messages, newest first. */
  list(): InboxMessage[] {
    return this.#messages.map((m) => ({ ...m }));
  }
}
