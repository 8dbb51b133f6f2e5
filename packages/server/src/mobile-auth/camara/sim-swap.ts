/**
 * @module sim-swap
 * {@link SimSwapClient}: the CAMARA SIM Swap signal (channels.md §5, decision CH4). A check asks
 * `/check` whether the SIM changed within the configured window and, when it did, `/retrieve-date`
 * for when. An operator that fails or is slow never blocks a flow: the whole check (token, check,
 * date) runs under one deadline, and anything short of a good answer is `unavailable`.
 *
 * {@link simSwapRiskReason} turns a recent swap into the reason the flow puts under
 * `evaluation.risk` (what policy does with it belongs to the fraud-policy work).
 */
import { callOperator, describeFailure, failureReason, type FetchLike, type OperatorFailure } from './operator-http.js';
import type { OperatorConfig } from './operator-config.js';
import { requestToken, type AccessToken } from './token-request.js';
import { EndpointResolver } from './endpoints.js';

/** The signal for one number. */
export type SimSwapSignal =
  /** The operator answered: `swapped` within the window; `at` when the date could be read too. */
  | { status: 'checked'; swapped: boolean; at?: string }
  /** No answer to go on (outage, timeout, refusal, not a subscriber). `detail` is safe to log. */
  | { status: 'unavailable'; reason: SimSwapUnavailable; detail: string };

/** Why the signal is unavailable. */
export type SimSwapUnavailable = 'timeout' | 'operator_unavailable' | 'operator_error' | 'malformed_answer' | 'not_subscriber';

/** Options of {@link SimSwapClient}. */
export interface SimSwapOptions {
  /** The window: a SIM change this many hours ago or less counts (1–2400). */
  maxAgeHours: number;
  /** Bound on the whole check in milliseconds. */
  timeoutMs: number;
  now?: () => number;
  fetch?: FetchLike;
}

/**
 * Prove's failure reason "SIM swap in the last 24 hours" (server-api.md §13.1), which Handset
 * uses for a swap within its configured window, under `evaluation.risk` (CH4).
 */
export const SIM_SWAP_REASON_CODE = '9135';

/** The risk reason a signal feeds, or null when there is none (no recent swap, or no signal). */
export function simSwapRiskReason(signal: SimSwapSignal, maxAgeHours: number): { code: string; description: string } | null {
  if (signal.status !== 'checked' || !signal.swapped) return null;
  return { code: SIM_SWAP_REASON_CODE, description: `SIM changed within the last ${maxAgeHours} hours` };
}

function unavailable(failure: OperatorFailure): SimSwapSignal {
  const notSubscriber = failure.kind === 'http' && (failure.status === 404 || (failure.status === 422 && failure.code === 'SERVICE_NOT_APPLICABLE'));
  const reason: SimSwapUnavailable = notSubscriber ? 'not_subscriber' : failureReason(failure);
  return { status: 'unavailable', reason, detail: describeFailure(failure) };
}

/**
 * One operator's SIM Swap API with a two-legged (client credentials) token, reused until shortly
 * before it expires.
 *
 * @example
 * const simSwap = new SimSwapClient(operator, { maxAgeHours: 24, timeoutMs: 1500 });
 * const reason = simSwapRiskReason(await simSwap.check('+12025550154'), 24); // { code: '9135', … } or null
 */
export class SimSwapClient {
  readonly #operator: OperatorConfig;
  readonly #maxAge: number;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #fetch: FetchLike;
  readonly #endpoints: EndpointResolver;
  #token: { value: AccessToken; until: number } | null = null;

  constructor(operator: OperatorConfig, options: SimSwapOptions) {
    if (!Number.isInteger(options.maxAgeHours) || options.maxAgeHours < 1 || options.maxAgeHours > 2400) {
      throw new RangeError('SimSwapClient: maxAgeHours must be an integer from 1 to 2400');
    }
    this.#operator = operator;
    this.#maxAge = options.maxAgeHours;
    this.#timeoutMs = options.timeoutMs;
    this.#now = options.now ?? Date.now;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#endpoints = new EndpointResolver(operator, this.#fetch, this.#now);
  }

  /** The window in hours. */
  get maxAgeHours(): number {
    return this.#maxAge;
  }

  async #accessToken(signal: AbortSignal): Promise<{ ok: true; token: string } | { ok: false; failure: OperatorFailure }> {
    if (this.#token && this.#now() < this.#token.until) return { ok: true, token: this.#token.value.accessToken };
    const resolved = await this.#endpoints.resolve(signal);
    if (!resolved.ok) return resolved;
    const got = await requestToken(this.#fetch, this.#operator, resolved.endpoints.tokenEndpoint, { grant_type: 'client_credentials', scope: this.#operator.scopes.simSwap }, signal);
    if (!got.ok) return got;
    // Renewed 30 s early so a token never expires between the check and the date.
    this.#token = { value: got.token, until: this.#now() + Math.max(0, got.token.expiresIn - 30) * 1000 };
    return { ok: true, token: got.token.accessToken };
  }

  async #post(path: string, token: string, body: unknown, signal: AbortSignal): ReturnType<typeof callOperator> {
    const answer = await callOperator(
      this.#fetch,
      `${this.#operator.apiRoot}/sim-swap/v2/${path}`,
      { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) },
      signal,
    );
    // A refused token is dropped so the next check asks for a new one.
    if (!answer.ok && answer.failure.kind === 'http' && answer.failure.status === 401) this.#token = null;
    return answer;
  }

  /** Whether `phoneNumber` (E.164) had its SIM changed within the window. Never throws. */
  async check(phoneNumber: string): Promise<SimSwapSignal> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    try {
      const token = await this.#accessToken(signal);
      if (!token.ok) return unavailable(token.failure);
      const checked = await this.#post('check', token.token, { phoneNumber, maxAge: this.#maxAge }, signal);
      if (!checked.ok) return unavailable(checked.failure);
      const swapped = checked.json.swapped;
      if (typeof swapped !== 'boolean') return { status: 'unavailable', reason: 'malformed_answer', detail: 'swapped is not a boolean' };
      if (!swapped) return { status: 'checked', swapped };
      // The date is a detail for the timeline: without it the swap still counts.
      const dated = await this.#post('retrieve-date', token.token, { phoneNumber }, signal);
      const at = dated.ok ? dated.json.latestSimChange : undefined;
      return typeof at === 'string' && !Number.isNaN(Date.parse(at)) ? { status: 'checked', swapped, at } : { status: 'checked', swapped };
    } catch {
      // callOperator returns failures rather than throwing; this is only a guard for the contract.
      return { status: 'unavailable', reason: 'operator_error', detail: 'unexpected error' };
    }
  }
}
