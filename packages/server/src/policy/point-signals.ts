/**
 * @module point-signals
 * The signals of each evaluation point (policy/points.ts), one function per point: each computes
 * only the signals the point's rules read (`used`), so a point whose rules read nothing costs
 * nothing. A new signal is one line in the function of every point it is available at (and, when
 * it exists at some points only, a line in `SIGNAL_POINTS`). Every counter goes through the
 * step's policy counters (policy/policy-counters.ts): on PostgreSQL in the step's transaction.
 */
import type { Deps } from '../deps.js';
import type { StepContext } from '../flows/session-tx.js';
import { numberSignals } from './number-signals.js';
import { policyCounters } from './policy-counters.js';
import { addSendSignals, needsCountry, sendCountersNeeded, type AfterDecision } from './send-signals.js';
import type { SignalName, Signals } from './signals.js';
import { isVerificationSignal, verificationAttempts } from './verification-attempts.js';
import { VELOCITY_SIGNALS, VelocityCounters, type VelocitySignal } from './velocity.js';

const isVelocity = (name: SignalName): name is VelocitySignal => (VELOCITY_SIGNALS as readonly string[]).includes(name);

/** What a point computed, and what its step must do once the decision is known (the send's only). */
export interface PointSignals {
  signals: Signals;
  afterDecision?: AfterDecision;
}

/** Signals of a number: line type and country (a libphonenumber lookup, only when read). */
function numberFacts(to: string | null, used: Set<SignalName>): Signals {
  const needed = used.has('line_type') || used.has('country') || used.has('sends_per_country_1h') || used.has('sends_per_country_24h') || needsCountry(used);
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

/**
 * `send`: a text is about to go to `to` (the session's number or a newly typed one). Counts the
 * send (and spends the SMS budget); reads verification attempts, conversion rates and session
 * facts (policy/send-signals.ts), whose after-decision step gives an unsent text back.
 */
export async function sendSignals(deps: Deps, ctx: StepContext, to: string, used: Set<SignalName>): Promise<PointSignals> {
  const signals: Signals = { ...numberFacts(to, used), ...sessionFacts(ctx, used) };
  const counters = policyCounters(deps, ctx);
  const velocity = new Set([...[...used].filter(isVelocity), ...sendCountersNeeded(used)]);
  if (velocity.size > 0) {
    const session = ctx.session;
    const keys = { number: to, country: String(signals.country ?? 'unknown'), client: session.client_id, ip: session.ip_address, device_key: session.device_id };
    Object.assign(signals, await new VelocityCounters(counters).count(velocity, keys));
  }
  const afterDecision = await addSendSignals(deps, ctx, counters, to, used, signals);
  return { signals, afterDecision };
}

/** `mobile_auth`: a Mobile Auth attempt is about to start (the session may have no number yet). */
export async function mobileAuthSignals(_deps: Deps, ctx: StepContext, used: Set<SignalName>): Promise<PointSignals> {
  return { signals: { ...numberFacts(ctx.session.phone_e164, used), ...sessionFacts(ctx, used) } };
}

/** What is verified at `verify`: a code (an attempt, counted) or an Instant Link opening (not an attempt). */
export type Verification = 'code' | 'link';

/**
 * `verify`: a code is checked, or an Instant Link opened, for the session's number. A code check
 * is counted as a verification attempt per number and device key before it is read
 * (policy/verification-attempts.ts); a link opening only reads the counts.
 */
export async function verifySignals(deps: Deps, ctx: StepContext, used: Set<SignalName>, what: Verification): Promise<PointSignals> {
  const signals: Signals = { ...numberFacts(ctx.session.phone_e164, used), ...sessionFacts(ctx, used) };
  const verifications = [...used].filter(isVerificationSignal);
  if (verifications.length > 0) {
    const keys = { number: ctx.session.phone_e164, device_key: ctx.session.device_id };
    Object.assign(signals, await verificationAttempts(policyCounters(deps, ctx), verifications, keys, what === 'code' ? 'count' : 'read'));
  }
  return { signals };
}
