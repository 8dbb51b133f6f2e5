/**
 * @module metrics
 * The platform's Prometheus metrics: one registry per app instance (tests run several instances
 * in one process, and prom-client's global registry refuses a second registration), the
 * instruments, and the few calls the code makes to move them. Every label takes its value from a
 * small fixed set (a route pattern, a state, a country code): never a number, a token or an id.
 * The reference of every metric is docs/operations.md.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { PossessionType, SessionState } from '../flows/session-types.js';
import type { QueryKind } from '../store/query-timings.js';
import { FastHistogram } from './fast-histogram.js';
import { sessionChannel, type SessionChannel } from './session-channel.js';

/** The outcomes a session is counted under when it ends. */
export type SessionOutcome = 'succeeded' | 'failed';

/** What happened to a message handed to the SMS sender. */
export type MessageStatus = 'sent' | 'failed';

/** A PostgreSQL pool's counts (pg.Pool `totalCount`, `idleCount`, `waitingCount`). */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

/** Seconds; from well under a millisecond (a cached status read) to the 5 s pool timeout. */
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds; SQLite lookups take tens of microseconds. */
const QUERY_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];

/** Label of requests no route matched: the raw URL is never a label. */
export const UNMATCHED_ROUTE = 'unmatched';

type LabelValues<K extends string> = Partial<Record<K, string | number>>;

export class Metrics {
  /** The registry `/metrics` exposes. */
  readonly registry = new Registry();
  readonly #sessionsStarted: Counter<'possession_type'>;
  readonly #sessionsFinished: Counter<'possession_type' | 'channel' | 'outcome'>;
  readonly #possessionRequired: Counter<'possession_type' | 'channel'>;
  readonly #messages: Counter<'provider' | 'country' | 'status'>;
  readonly #requests: FastHistogram;
  readonly #queries: FastHistogram;
  readonly #queryErrors: Counter<'dialect' | 'kind'>;
  readonly #policyDecisions: Counter<'rule' | 'action'>;
  #openSockets: () => number = () => 0;
  #pool: (() => PoolStats) | null = null;
  readonly #dialect: string;

  constructor(options: { dialect: string; defaultMetrics?: boolean }) {
    this.#dialect = options.dialect;
    const registers = [this.registry];
    this.#sessionsStarted = new Counter({
      name: 'handset_sessions_started_total',
      help: 'Unify sessions started (POST /v3/unify answered), by possession type.',
      labelNames: ['possession_type'],
      registers,
    });
    this.#sessionsFinished = new Counter({
      name: 'handset_sessions_finished_total',
      help: 'Unify sessions that reached a final state (succeeded or failed), by possession type, the channel that settled them, and outcome.',
      labelNames: ['possession_type', 'channel', 'outcome'],
      registers,
    });
    this.#possessionRequired = new Counter({
      name: 'handset_sessions_possession_required_total',
      help: 'Unify sessions handed back to the integrator as possession_required (they may still succeed through unify-bind), by possession type and channel.',
      labelNames: ['possession_type', 'channel'],
      registers,
    });
    this.#messages = new Counter({
      name: 'handset_messages_total',
      help: 'SMS messages handed to the SMS provider, by provider, destination country (ISO 3166 code) and status.',
      labelNames: ['provider', 'country', 'status'],
      registers,
    });
    this.#policyDecisions = new Counter({
      name: 'handset_policy_decisions_total',
      help: 'Fraud policy rules that matched, by rule id and action (a shadow rule is counted under action "shadow").',
      labelNames: ['rule', 'action'],
      registers,
    });
    this.#requests = new FastHistogram({
      name: 'handset_http_request_duration_seconds',
      help: 'HTTP request latency by method, route pattern (each client-protocol step and server API call is a route) and status code.',
      buckets: REQUEST_BUCKETS,
      registry: this.registry,
    });
    this.#queries = new FastHistogram({
      name: 'handset_db_query_duration_seconds',
      help: 'Database statement latency, by dialect and statement kind (transaction control is "other").',
      buckets: QUERY_BUCKETS,
      registry: this.registry,
    });
    this.#queryErrors = new Counter({
      name: 'handset_db_query_errors_total',
      help: 'Database statements that failed, by dialect and statement kind.',
      labelNames: ['dialect', 'kind'],
      registers,
    });
    const sockets: Gauge = new Gauge({
      name: 'handset_status_sockets_open',
      help: 'Status WebSockets (/v1/client/status) open on this instance.',
      registers,
      // Read at scrape time: the socket server already counts its clients.
      collect: () => sockets.set(this.#openSockets()),
    });
    // SQLite has no pool: these series are absent there rather than a misleading 0.
    if (options.dialect === 'postgres') {
      this.#poolGauge('handset_db_pool_connections', 'PostgreSQL pool connections open (idle or in use).', (s) => s.total);
      this.#poolGauge('handset_db_pool_idle_connections', 'PostgreSQL pool connections open and idle.', (s) => s.idle);
      this.#poolGauge('handset_db_pool_waiting_requests', 'Requests waiting for a PostgreSQL pool connection.', (s) => s.waiting);
    }
    // Process metrics and the event-loop lag (nodejs_eventloop_lag_seconds and its percentiles).
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  #poolGauge(name: string, help: string, pick: (stats: PoolStats) => number): void {
    const gauge: Gauge = new Gauge({
      name,
      help,
      registers: [this.registry],
      collect: () => {
        if (this.#pool) gauge.set(pick(this.#pool()));
      },
    });
  }

  /** Where the open status sockets are counted (read at each scrape). */
  countOpenSockets(count: () => number): void {
    this.#openSockets = count;
  }

  /** Where the pool counts are read (PostgreSQL only). */
  readPool(stats: () => PoolStats): void {
    this.#pool = stats;
  }

  /** A session was inserted; a sandbox short-term user's session may have ended at once. */
  sessionStarted(possessionType: PossessionType, state: SessionState): void {
    this.#sessionsStarted.inc({ possession_type: possessionType });
    if (state !== 'created') this.sessionChanged(possessionType, 'created', state, null, true);
  }

  /** A policy rule matched: `action` is the rule's action, or `shadow` when it was only recorded. */
  policyDecision(rule: string, action: string): void {
    this.#policyDecisions.inc({ rule, action });
  }

  /**
   * A committed change of state. `deviceMatch` and `atInsert` tell how a success from `created`
   * came about (a verified Prove Key, or a sandbox short-term user).
   */
  sessionChanged(possessionType: PossessionType, from: SessionState, to: SessionState, deviceMatch: string | null, atInsert = false): void {
    if (to !== 'succeeded' && to !== 'failed' && to !== 'possession_required') return;
    const channel: SessionChannel = sessionChannel(from, to, deviceMatch, atInsert);
    if (to === 'possession_required') {
      this.#possessionRequired.inc({ possession_type: possessionType, channel });
      return;
    }
    this.#sessionsFinished.inc({ possession_type: possessionType, channel, outcome: to });
  }

  /** A message went to the provider (or failed to); `country` is an ISO 3166 code or `unknown`. */
  messageSent(labels: LabelValues<'provider' | 'country' | 'status'> & { status: MessageStatus }): void {
    this.#messages.inc(labels);
  }

  /** One answered HTTP request; `route` is the route pattern or {@link UNMATCHED_ROUTE}. */
  requestAnswered(method: string, route: string, status: number, seconds: number): void {
    this.#requests.series(`${method} ${status} ${route}`, () => ({ method, route, status: String(status) })).observe(seconds);
  }

  /** One database statement, finished or failed. */
  queryRan(kind: QueryKind, seconds: number, failed: boolean): void {
    this.#queries.series(kind, () => ({ dialect: this.#dialect, kind })).observe(seconds);
    if (failed) this.#queryErrors.inc({ dialect: this.#dialect, kind });
  }
}
