/**
 * @module webhooks/dispatcher
 * Sends queued webhook deliveries (docs/webhooks.md). Woken by a nudge after the transaction that
 * enqueued them commits, and by a poll timer (retries coming due, other instances' rows, expired
 * leases). Each round claims a batch (webhooks/queue.ts), POSTs each OUTSIDE any transaction,
 * signed with the `standardwebhooks` package, then records the outcome. A 2xx delivers; anything
 * else (or a timeout, or no answer) retries with the courier's backoff (exponential, equal jitter)
 * until the delivery is a day old, then it is `failed` (redelivery by id can revive it).
 */
import { PollingLoop } from '../lib/polling-loop.js';
import { Webhook } from 'standardwebhooks';
import { backoffDelay, type BackoffSettings } from '../courier/backoff.js';
import type { Clock } from '../ports/clock.js';
import type { Random } from '../ports/random.js';
import type { Db } from '../store/database.js';
import { claimDueDeliveries, recordDelivery, type ClaimedDelivery, type DeliveryOutcome } from './queue.js';

/** Dispatcher settings. */
export interface WebhookSettings {
  /** How long after its event a delivery is still retried. */
  retryForMs: number;
  leaseMs: number;
  pollMs: number;
  /** Per-request timeout. */
  timeoutMs: number;
  batchSize: number;
  backoff: BackoffSettings;
}

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = {
  retryForMs: 24 * 3600_000,
  leaseMs: 60_000,
  pollMs: 5_000,
  timeoutMs: 15_000,
  batchSize: 16,
  // 5 s, 10 s, 20 s … capped at one hour: about 30 attempts in a day.
  backoff: { baseMs: 5_000, maxMs: 3600_000 },
};

/** The logger subset used (pino's). Never given a secret or a payload. */
export interface WebhookLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface WebhookDispatcherDeps {
  db: Db;
  clock: Clock;
  random: Random;
  log: WebhookLog;
  /** This instance's lease owner name. */
  owner: string;
  settings?: Partial<WebhookSettings>;
  /** The HTTP client (tests may pass another); default the global fetch. */
  fetch?: typeof fetch;
  /**
   * The poll timer; default a real, unref'd setTimeout. Not the Clock port's: a server on a
   * ManualClock (tests of deadlines) must not find a webhook poll among its timers.
   */
  setTimer?: (ms: number, fn: () => void) => () => void;
}

function realTimer(ms: number, fn: () => void): () => void {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return () => clearTimeout(timer);
}

export class WebhookDispatcher {
  readonly settings: WebhookSettings;
  readonly #deps: WebhookDispatcherDeps;
  readonly #loop: PollingLoop;

  constructor(deps: WebhookDispatcherDeps) {
    this.#deps = deps;
    this.settings = { ...DEFAULT_WEBHOOK_SETTINGS, ...deps.settings };
    this.#loop = new PollingLoop({
      round: () => this.runOnce(),
      batchSize: this.settings.batchSize,
      pollMs: this.settings.pollMs,
      setTimer: deps.setTimer ?? realTimer,
      onError: (error) => deps.log.warn({ err: error }, 'webhook round failed'), startStopped: true,
    });
  }

  /** Starts polling, with a first round (rows left by a previous process). */
  start(): void {
    this.#loop.start();
  }

  /** Asks for a round soon; a round already running does one more. */
  nudge(): void {
    this.#loop.nudge();
  }

  /** Stops polling and waits for the round in flight (its sends finish and are recorded). */
  async stop(): Promise<void> {
    await this.#loop.stop();
  }

  /** Claims and sends one batch; resolves with how many were claimed (tests drive it). */
  async runOnce(): Promise<number> {
    const { db, clock, owner } = this.#deps;
    const claimed = await claimDueDeliveries(db.kysely, db.dialect, { owner, now: clock.now(), leaseMs: this.settings.leaseMs, limit: this.settings.batchSize });
    await Promise.all(claimed.map((d) => this.#deliver(d)));
    return claimed.length;
  }

  async #deliver(delivery: ClaimedDelivery): Promise<void> {
    const { clock, random, log, db, owner } = this.#deps;
    const sentAt = clock.now();
    let status: number | null = null;
    let error = '';
    try {
      const headers = {
        'content-type': 'application/json',
        'webhook-id': delivery.id,
        'webhook-timestamp': String(Math.floor(sentAt / 1000)),
        'webhook-signature': new Webhook(delivery.secret).sign(delivery.id, new Date(sentAt), delivery.payload),
        'user-agent': 'Handset-Webhooks/1',
      };
      const response = await (this.#deps.fetch ?? fetch)(delivery.url, {
        method: 'POST',
        headers,
        body: delivery.payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
      status = response.status;
      // The body is not read beyond draining it: receivers' answers are not trusted or stored.
      await response.body?.cancel().catch(() => undefined);
      if (status < 200 || status >= 300) error = `http ${status}`;
    } catch (caught) {
      error = (caught as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable';
    }
    const now = clock.now();
    let outcome: DeliveryOutcome;
    if (error === '') outcome = { kind: 'delivered', status: status ?? 200 };
    else {
      const next = now + backoffDelay(delivery.attempts, this.settings.backoff, random);
      outcome =
        next > delivery.created_at + this.settings.retryForMs
          ? { kind: 'failed', status, error }
          : { kind: 'retry', status, error, nextAttemptAt: next };
    }
    try {
      const recorded = await recordDelivery(db.kysely, delivery.id, owner, now, outcome);
      if (!recorded) log.warn({ webhookId: delivery.id }, 'webhook lease lost before the outcome was recorded');
    } catch (caught) {
      log.warn({ err: caught, webhookId: delivery.id }, 'webhook outcome not recorded (the lease runs out and it is sent again)');
      return;
    }
    // The host only: a URL's path or query may carry an integrator's token.
    const host = new URL(delivery.url).host;
    if (outcome.kind === 'delivered') log.info({ webhookId: delivery.id, host, attempts: delivery.attempts }, 'webhook delivered');
    else log.warn({ webhookId: delivery.id, host, attempts: delivery.attempts, error, outcome: outcome.kind }, 'webhook not delivered');
  }
}
