/**
 * @module pg-notify-bus
 * The EventBus for PostgreSQL, so several Handset instances on one database hear each other's
 * session changes with no extra service: `pg_notify('handset_events', …)` runs inside the
 * transaction that makes the change (PostgreSQL delivers it on COMMIT, never on rollback), and
 * every instance LISTENs on a dedicated connection of its own, outside the query pool.
 *
 * The payload carries identifiers only (`{"correlationId","origin"}`); receivers re-read the
 * session from the database. Delivery is not durable: while the LISTEN connection is down (the
 * database restarting, say) notifications are lost, so after every reconnect each subscriber is
 * woken once to re-read, and the status socket re-checks on a timer anyway. The instance that
 * made a change delivers it to its own subscribers directly after the commit and ignores the echo.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import type { Executor } from '../store/executor.js';
import { MemoryEventBus, type EventBus, type SessionChanged, type StagedNotify } from './event-bus.js';

/** The channel every instance of one database listens on. */
export const EVENTS_CHANNEL = 'handset_events';

/** The logging the bus needs (a pino logger fits). */
export interface BusLog {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface PgNotifyBusOptions {
  /** The database URL; the bus opens its own connection with it. */
  url: string;
  channel?: string;
  log?: BusLog;
  /**
   * First reconnect delay; it doubles up to `maxBackoffMs` (defaults 100 ms and 1 s: a refused
   * attempt costs nothing, and events are late for as long as the connection is down).
   */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

interface Payload {
  correlationId: string;
  origin: string;
}

const silent: BusLog = { info: () => {}, warn: () => {} };

export class PgNotifyBus extends MemoryEventBus implements EventBus {
  /** This instance's id in payloads, to recognise its own notifications. */
  readonly origin = randomUUID();
  readonly #url: string;
  readonly #channel: string;
  readonly #log: BusLog;
  readonly #minBackoffMs: number;
  readonly #maxBackoffMs: number;
  #backoffMs: number;
  #client: pg.Client | null = null;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: PgNotifyBusOptions) {
    super();
    this.#url = options.url;
    this.#channel = options.channel ?? EVENTS_CHANNEL;
    if (!/^[a-z_][a-z0-9_]*$/.test(this.#channel)) throw new Error(`not a plain channel name: ${this.#channel}`);
    this.#log = options.log ?? silent;
    this.#minBackoffMs = options.minBackoffMs ?? 100;
    this.#maxBackoffMs = options.maxBackoffMs ?? 1000;
    this.#backoffMs = this.#minBackoffMs;
  }

  /** True while the LISTEN connection is up. */
  get listening(): boolean {
    return this.#client !== null;
  }

  /** Opens the LISTEN connection; rejects when this first attempt fails. */
  async start(): Promise<void> {
    await this.#connect();
  }

  override async stage(trx: Executor, event: SessionChanged): Promise<void> {
    const { channel, payload } = this.notifyFor(event);
    await sql`select pg_notify(${channel}, ${payload})`.execute(trx);
  }

  override notifyFor(event: SessionChanged): StagedNotify {
    const payload: Payload = { correlationId: event.correlationId, origin: this.origin };
    return { channel: this.#channel, payload: JSON.stringify(payload) };
  }

  override async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await super.close();
    const client = this.#client;
    this.#client = null;
    if (!client) return;
    const bounded = (work: Promise<unknown>): Promise<unknown> =>
      Promise.race([work.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    await bounded(client.query(`UNLISTEN ${this.#channel}`));
    await bounded(client.end());
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.#url,
      connectionTimeoutMillis: 5000,
      keepAlive: true,
      application_name: 'handset-listen',
    });
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client));
    client.on('notification', (message) => this.#deliver(message.payload));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.#channel}`);
    } catch (error) {
      client.end().catch(() => {});
      throw error;
    }
    if (this.#closed) {
      await client.end().catch(() => {});
      return;
    }
    this.#client = client;
    this.#backoffMs = this.#minBackoffMs;
  }

  #deliver(text: string | undefined): void {
    let payload: Partial<Payload>;
    try {
      payload = JSON.parse(text ?? '') as Partial<Payload>;
    } catch {
      return;
    }
    if (payload.origin === this.origin || typeof payload.correlationId !== 'string') return;
    void this.publish({ correlationId: payload.correlationId });
  }

  #lost(client: pg.Client, error?: Error): void {
    if (client !== this.#client) return;
    this.#client = null;
    client.end().catch(() => {});
    if (this.#closed) return;
    this.#log.warn({ err: error ? { message: error.message } : undefined }, 'event listener lost its database connection; reconnecting');
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#connect().then(
        () => {
          if (this.#closed) return;
          this.#log.info({}, 'event listener reconnected');
          // Whatever was announced while we were away is lost: let every subscriber re-read.
          this.wakeAll();
        },
        () => {
          this.#backoffMs = Math.min(this.#backoffMs * 2, this.#maxBackoffMs);
          if (!this.#closed) this.#scheduleReconnect();
        },
      );
    }, this.#backoffMs);
    this.#timer.unref();
  }
}
