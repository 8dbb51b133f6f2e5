/**
 * @module schema
 * Table types of the one schema that runs on SQLite and PostgreSQL. Times are epoch
 * milliseconds in `bigint` columns; booleans are 0/1 integers; ids are text.
 */

import type { DeviceMatch, PossessionType, SessionState } from '../flows/session-types.js';

export interface ClientsTable {
  id: string;
  name: string;
  /** SHA-256 hex of the client secret; the secret itself is never stored. */
  secret_hash: string;
  namespace: string;
  created_at: number;
}

export interface AccessTokensTable {
  /** SHA-256 hex of the bearer token. */
  token_hash: string;
  client_id: string;
  expires_at: number;
}

export interface SessionsTable {
  correlation_id: string;
  auth_id: string;
  client_id: string;
  token_id: string;
  state: SessionState;
  possession_type: PossessionType;
  phone_e164: string | null;
  /** The number as the integrator (or the user) sent it; echoed in replies. */
  phone_display: string | null;
  prove_id: string | null;
  challenge: string;
  final_target_url: string | null;
  sms_message: string | null;
  allow_otp_retry: number;
  rebind: number;
  client_request_id: string | null;
  client_customer_id: string | null;
  client_human_id: string | null;
  email_address: string | null;
  ip_address: string | null;
  device_id: string | null;
  device_match: DeviceMatch | null;
  failure_reason: string | null;
  otp_hash: string | null;
  otp_sent_at: number | null;
  otp_attempts: number;
  otp_resends: number;
  link_hash: string | null;
  link_sent_at: number | null;
  link_resends: number;
  /** The number the session's current proof (code, link, Mobile Auth) was issued for; null when none is live. */
  proof_to: string | null;
  mobile_auth_token: string | null;
  mobile_auth_confirmed: number;
  created_at: number;
  expires_at: number;
  ended_at: number | null;
  purge_at: number;
}

export interface DevicesTable {
  id: string;
  client_id: string;
  key_id: string;
  public_key: string;
  phone_e164: string | null;
  created_at: number;
  bound_at: number | null;
  last_used_at: number;
  revoked_at: number | null;
}

export interface IdentitiesTable {
  client_id: string;
  phone_e164: string;
  prove_id: string;
  created_at: number;
}

export interface SmsOutboxTable {
  id: string;
  client_id: string | null;
  to_e164: string;
  body: string;
  sent_at: number;
}

export interface ChallengesTable {
  challenge: string;
  device_id: string;
  expires_at: number;
}

export interface SigningKeysTable {
  kid: string;
  private_jwk: string;
  created_at: number;
}

/** One budget window: `count` requests were counted for `key` in the window starting at `window_start`. */
export interface RateCountersTable {
  key: string;
  window_start: number;
  count: number;
}

/** rate-limiter-flexible's PostgreSQL counters (abuse bounds): points spent by `key` until `expire` (epoch ms). */
export interface RateLimitsTable {
  key: string;
  points: number;
  expire: number | null;
}

export interface Database {
  clients: ClientsTable;
  access_tokens: AccessTokensTable;
  sessions: SessionsTable;
  devices: DevicesTable;
  identities: IdentitiesTable;
  sms_outbox: SmsOutboxTable;
  challenges: ChallengesTable;
  signing_keys: SigningKeysTable;
  rate_counters: RateCountersTable;
  rate_limits: RateLimitsTable;
}
