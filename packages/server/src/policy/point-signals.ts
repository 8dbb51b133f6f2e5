/**
 * @module point-signals
 * The signals of each evaluation point (policy/points.ts), one function per point: each computes
 * only the signals the point's rules read (`used`), so a point whose rules read nothing costs
 * nothing. A new signal is one line in the function of every point it is available at (and, when
 * it exists at some points only, a line in `SIGNAL_POINTS`).
 */
import type { Deps } from '../deps.js';
import type { StepContext } from '../flows/session-tx.js';
import { limiterStore } from '../http/limiter-store.js';
import { numberSignals } from './number-signals.js';
import type { SignalName, Signals } from './signals.js';
import { VELOCITY_SIGNALS, VelocityCounters, type VelocitySignal } from './velocity.js';

const counters = new WeakMap<Deps, VelocityCounters>();
/**
 * SQLite: one in-memory set of counters per instance. PostgreSQL: counted through the step's own
 * transaction (limiters bound to it are cheap objects): a step holding its session's row lock
 * must not wait for a second pool connection (25 sends at once would starve the pool), and a
 * step that rolls back counts nothing. The counter rows stay locked until the step commits, so
 * two sends to one key are counted one after the other: exact across instances.
 */
function countersOf(deps: Deps, ctx: StepContext): VelocityCounters {
  if (deps.db.dialect === 'postgres') return new VelocityCounters(limiterStore({ kysely: ctx.trx, dialect: 'postgres' }));
  let c = counters.get(deps);
  if (!c) counters.set(deps, (c = new VelocityCounters(limiterStore(deps.db))));
  return c;
}

const isVelocity = (name: SignalName): name is VelocitySignal => (VELOCITY_SIGNALS as readonly string[]).includes(name);

/** Signals of a number: line type and country (a libphonenumber lookup, only when read). */
function numberFacts(to: string | null, used: Set<SignalName>): Signals {
  const needed = used.has('line_type') || used.has('country') || used.has('sends_per_country_1h') || used.has('sends_per_country_24h');
  return needed && to ? numberSignals(to) : {};
}

/** Session facts every point knows. */
function sessionFacts(ctx: StepContext, used: Set<SignalName>): Signals {
  const session = ctx.session;
  const signals: Signals = {};
  if (used.has('resends')) signals.resends = session.otp_resends + session.link_resends;
  if (used.has('wrong_codes')) signals.wrong_codes = session.otp_attempts;
  return signals;
}

/** `send`: a text is about to go to `to` (the session's number or a newly typed one). Counts the send. */
export async function sendSignals(deps: Deps, ctx: StepContext, to: string, used: Set<SignalName>): Promise<Signals> {
  const signals: Signals = { ...numberFacts(to, used), ...sessionFacts(ctx, used) };
  const velocity = [...used].filter(isVelocity);
  if (velocity.length > 0) {
    const session = ctx.session;
    const keys = { number: to, country: String(signals.country ?? 'unknown'), client: session.client_id, ip: session.ip_address };
    Object.assign(signals, await countersOf(deps, ctx).count(velocity, keys));
  }
  return signals;
}

/** `mobile_auth`: a Mobile Auth attempt is about to start (the session may have no number yet). */
export async function mobileAuthSignals(_deps: Deps, ctx: StepContext, used: Set<SignalName>): Promise<Signals> {
  return { ...numberFacts(ctx.session.phone_e164, used), ...sessionFacts(ctx, used) };
}

/** `verify`: a code is checked, or an Instant Link opened, for the session's number. */
export async function verifySignals(_deps: Deps, ctx: StepContext, used: Set<SignalName>): Promise<Signals> {
  return { ...numberFacts(ctx.session.phone_e164, used), ...sessionFacts(ctx, used) };
}
