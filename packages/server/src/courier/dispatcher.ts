/**
 * @module courier/dispatcher
 * Sends what the courier queued (protocol/channels.md CH1). Woken by a nudge after a step commits,
 * and by a poll timer (other instances' messages, retries coming due, expired leases). Each round:
 * claim due messages in one short statement (a lease), send each OUTSIDE any transaction through
 * the provider chain, then record the outcome in a short transaction. Retryable failures come back
 * with exponential backoff and jitter (never before Retry-After) until `maxAttempts`, then `failed`;
 * permanent ones end at once (`undeliverable` when the recipient cannot take it, else `failed`) and
 * are written on the session's timeline. A lease that expires (a crashed or stalled instance) is
 * claimed again: delivery is at least once.
 */
import { PollingLoop } from '../lib/polling-loop.js';
import { maskPhone } from '../lib/phone.js';
import { countryOf } from '../metrics/metered-sms.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Clock } from '../ports/clock.js';
import type { Random } from '../ports/random.js';
import { ProviderError, SMS_STATUSES, type PermanentReason, type SmsProvider, type SmsStatus } from '../sms/providers/provider.js';
import type { Db } from '../store/database.js';
import { appendSessionEvents } from '../store/session-events-repo.js';
import { lockSession } from '../store/sessions-repo.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffSettings } from './backoff.js';
import type { CourierLog } from './courier-sender.js';
import { claimDueMessages, recordOutcome, type AttemptOutcome, type ClaimedMessage } from './queue.js';

/** Permanent reasons that mean the recipient cannot take the message (the rest are `failed`). */
const UNDELIVERABLE: ReadonlySet<PermanentReason> = new Set<PermanentReason>([
  'invalid-number',
  'not-mobile',
  'opted-out',
  'recipient-blocked',
  'region-not-allowed',
  'carrier-filtered',
]);

/** The status a permanent failure leaves a message in. */
export function permanentStatus(reason: string): 'failed' | 'undeliverable' {
  return UNDELIVERABLE.has(reason as PermanentReason) ? 'undeliverable' : 'failed';
}

/** Courier settings (docs/channels.md, "Courier"). */
export interface CourierSettings {
  /** Attempts before a retryably failing message is `failed` (HANDSET_SMS_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** How long a claim holds a message; must exceed a send through the whole chain (HANDSET_SMS_LEASE_MS). */
  leaseMs: number;
  /** How often the queue is looked at without a nudge (HANDSET_SMS_POLL_MS). */
  pollMs: number;
  /** Messages claimed per round (sent concurrently). */
  batchSize: number;
  backoff: BackoffSettings;
}

export const DEFAULT_COURIER_SETTINGS: CourierSettings = {
  maxAttempts: 6,
  leaseMs: 60_000,
  pollMs: 1_000,
  batchSize: 16,
  backoff: DEFAULT_BACKOFF,
};

/** A text the courier gave up on, as its session hears of it. */
export interface GivenUp {
  correlationId: string;
  /** E.164 destination. */
  to: string;
}

export interface DispatcherDeps {
  db: Db;
  provider: SmsProvider;
  clock: Clock;
  random: Random;
  log: CourierLog;
  metrics?: Metrics;
  /** This instance's lease owner name (unique per process). */
  owner: string;
  settings?: Partial<CourierSettings>;
}

/** A status never moves backwards: a late `queued` from a provider does not undo `sent`. */
function furthest(a: SmsStatus, b: SmsStatus): SmsStatus {
  return SMS_STATUSES.indexOf(a) >= SMS_STATUSES.indexOf(b) ? a : b;
}

export class Dispatcher {
  readonly settings: CourierSettings;
  readonly #deps: DispatcherDeps;
  readonly #loop: PollingLoop;
  #onGiveUp: ((message: GivenUp) => Promise<void>) | null = null;

  constructor(deps: DispatcherDeps) {
    this.#deps = deps;
    this.settings = { ...DEFAULT_COURIER_SETTINGS, ...deps.settings };
    this.#loop = new PollingLoop({
      round: () => this.runOnce(),
      batchSize: this.settings.batchSize,
      pollMs: this.settings.pollMs,
      setTimer: (ms, fn) => deps.clock.setTimer(ms, fn),
      onError: (error) => deps.log.warn({ err: error }, 'courier round failed'),
    });
  }

  /**
   * Who hears of a text given up for good (after its outcome is committed): the session it carried
   * a proof for must end (flows/message-failed.ts). A failure of the listener is logged, never thrown.
   */
  onGiveUp(listener: (message: GivenUp) => Promise<void>): void {
    this.#onGiveUp = listener;
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

  /** Claims and sends one batch; resolves with how many messages it claimed (tests drive it). */
  async runOnce(): Promise<number> {
    const { db, clock, owner } = this.#deps;
    const claimed = await claimDueMessages(db.kysely, db.dialect, {
      owner,
      now: clock.now(),
      leaseMs: this.settings.leaseMs,
      limit: this.settings.batchSize,
    });
    await Promise.all(claimed.map((m) => this.#deliver(m)));
    return claimed.length;
  }

  async #deliver(message: ClaimedMessage): Promise<void> {
    const { provider, clock, random, log } = this.#deps;
    let outcome: AttemptOutcome;
    try {
      const result = await provider.send({ to: message.to_e164, body: message.body, reference: message.id });
      const taken = 'provider' in result && typeof result.provider === 'string' ? result.provider : provider.name;
      // Accepted by a provider is at least `sent` as far as Handset's queue is concerned.
      outcome = { kind: 'accepted', provider: taken, providerMessageId: result.providerMessageId, status: furthest(result.status, 'sent') };
    } catch (error) {
      const classified = error instanceof ProviderError ? error : new ProviderError(provider.name, 'provider-unavailable');
      const failedProvider = classified.provider === 'chain' ? null : classified.provider;
      if (!classified.retryable) {
        outcome = { kind: 'final', provider: failedProvider, reason: classified.reason, status: permanentStatus(classified.reason) };
      } else if (message.attempts >= this.settings.maxAttempts) {
        outcome = { kind: 'final', provider: failedProvider, reason: classified.reason, status: 'failed' };
      } else {
        const delay = backoffDelay(message.attempts, this.settings.backoff, random, classified.retryAfterMs);
        outcome = { kind: 'retry', provider: failedProvider, reason: classified.reason, nextAttemptAt: clock.now() + delay };
      }
    }
    try {
      const recorded = await this.#record(message, outcome);
      if (!recorded) log.warn({ messageId: message.id }, 'courier lease lost before the outcome was recorded (another instance took the message)');
    } catch (error) {
      // The lease expires and the message is claimed again: at least once.
      log.warn({ err: error, messageId: message.id }, 'courier could not record an outcome');
      return;
    }
    this.#count(message, outcome);
    if (outcome.kind === 'final' && message.correlation_id !== null && this.#onGiveUp) {
      try {
        await this.#onGiveUp({ correlationId: message.correlation_id, to: message.to_e164 });
      } catch (error) {
        log.warn({ err: error, messageId: message.id }, 'courier could not tell the session its text failed');
      }
    }
    const to = maskPhone(message.to_e164);
    if (outcome.kind === 'accepted') log.info({ messageId: message.id, to, provider: outcome.provider, attempts: message.attempts }, 'sms sent');
    else log.warn({ messageId: message.id, to, reason: outcome.reason, attempts: message.attempts, outcome: outcome.kind }, 'sms not sent');
  }

  /** Writes the outcome; a final failure is also written on the session's timeline, in the same transaction. */
  async #record(message: ClaimedMessage, outcome: AttemptOutcome): Promise<boolean> {
    const { db, clock, owner } = this.#deps;
    const now = clock.now();
    if (outcome.kind !== 'final' || message.correlation_id === null) return recordOutcome(db.kysely, message.id, owner, now, outcome);
    const correlationId = message.correlation_id;
    return db.kysely.transaction().execute(async (trx) => {
      if (!(await recordOutcome(trx, message.id, owner, now, outcome))) return false;
      // The session's row lock numbers its timeline entries one at a time (session-events-repo.ts).
      const session = await lockSession(trx, db.dialect, { column: 'correlation_id', value: correlationId });
      if (session) {
        await appendSessionEvents(trx, db.dialect, [
          {
            correlation_id: correlationId,
            at: now,
            type: `sms_${outcome.status}`,
            from_state: session.state,
            to_state: session.state,
            reason: outcome.reason,
            channel: 'sms',
            destination: maskPhone(message.to_e164),
          },
        ]);
      }
      return true;
    });
  }

  #count(message: ClaimedMessage, outcome: AttemptOutcome): void {
    const metrics = this.#deps.metrics;
    if (!metrics || outcome.kind === 'retry') return;
    metrics.messageSent({
      provider: outcome.provider ?? 'none',
      country: countryOf(message.to_e164),
      status: outcome.kind === 'accepted' ? 'sent' : 'failed',
    });
  }
}
