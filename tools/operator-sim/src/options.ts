/**
 * @module options
 * What the operator simulator is told: its registered clients, how it recognises "the line" a
 * request comes from, its table of SIM changes, its clock and its lifetimes.
 */

/** A relying party registered with the simulated operator (what onboarding gives a real one). */
export interface SimulatorClient {
  clientId: string;
  clientSecret: string;
  /** Exact redirect URIs the authorization endpoint accepts (compared as strings, as OIDC requires). */
  redirectUris: string[];
}

/**
 * How the simulator knows which line (which phone number) a request arrives on. A real operator
 * reads it from the mobile network; the simulator looks, in this order, at:
 *
 * 1. the `x-operator-sim-line` request header (Node tests);
 * 2. the `operator_sim_line` cookie on the simulator's origin (browser tests set it with
 *    Playwright's `context.addCookies`);
 * 3. `byAddress[the request's source address]` (e.g. `127.0.0.1`);
 * 4. `default`.
 *
 * A value of `none` (header or cookie) means "not on this operator's network" even when a
 * default exists. No match: the line is unknown and `prompt=none` answers `login_required`.
 */
export interface LineMapping {
  default?: string | null;
  byAddress?: Record<string, string>;
}

/** Options of {@link startOperatorSimulator}. */
export interface SimulatorOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  clients: SimulatorClient[];
  lines?: LineMapping;
  /**
   * SIM Swap data: for each subscriber number, the time of the latest SIM change (RFC 3339), or
   * null for "never changed". A number absent from the table is not this operator's subscriber
   * (404 IDENTIFIER_NOT_FOUND), unless it is a line of {@link LineMapping}, which counts as never changed.
   */
  simChanges?: Record<string, string | null>;
  /** Days of SIM-change history the operator keeps; when set, answers carry `monitoredPeriod` and older changes read as null. */
  monitoredPeriodDays?: number;
  /** Milliseconds since the epoch; injected by tests to expire codes and tokens. Default `Date.now`. */
  now?: () => number;
  /** Access-token lifetime; default and maximum 300 s (CAMARA). */
  tokenTtlSeconds?: number;
  /** Authorization-code lifetime; default 60 s. */
  codeTtlSeconds?: number;
}

/** The endpoints whose answers {@link OperatorSimulator.fail} can break. */
export type SimEndpoint = 'discovery' | 'authorize' | 'token' | 'verify' | 'device-phone-number' | 'check' | 'retrieve-date';

/**
 * An injected failure: an HTTP status (with the CAMARA error body, or an OAuth2 one at the token
 * endpoint), `timeout` (the request is held open and never answered), or `malformed` (200 with a
 * body that is not the documented JSON).
 */
export type SimFault = { status: number } | 'timeout' | 'malformed';
