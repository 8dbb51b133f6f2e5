/**
 * @module schema
 * Table types of the one schema that runs on SQLite and PostgreSQL. Times are epoch
 * milliseconds in `bigint` columns; booleans are 0/1 integers; ids are text.
 */

import type { Generated } from 'kysely';
import type { DeviceMatch, PossessionType, SessionState } from '../flows/session-types.js';

export interface ClientsTable {
  id: string;
  name: string;
  /** SHA-256 hex of the client secret; the secret itself is never stored. */
  secret_hash: string;
  namespace: string;
  created_at: number;
  /** Set when an admin disabled the client: `/token` refuses it from then on. */
  disabled_at: number | null;
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
  /** The SIM swap signal: null not checked, '' no reason, else the 9135 reason's description (migration 008). */
  sim_swap_risk: string | null;
  /** Reason codes of the fraud policy's enforced flag, deny_send and require_otp rules (`9802,9131`); null: none. */
  policy_reasons: string | null;
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
  /** The number an operator vouched for at the callback (pixel implementation); read only with `mobile_auth_confirmed` = 1 (migration 009). */
  mobile_auth_vouched: string | null;
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
  /** The session the message belongs to (null for messages stored before it was recorded). */
  correlation_id: string | null;
  /** Courier status (sms/providers/provider.ts SmsStatus); `delivered` for development outbox rows. */
  status: Generated<string>;
  /** The provider that took the message (`outbox` for the development outbox). */
  provider: Generated<string>;
  provider_message_id: Generated<string | null>;
  /** Send attempts claimed so far. */
  attempts: Generated<number>;
  /** The last failure's reason (ProviderError vocabulary), never a provider's text. */
  last_error: Generated<string | null>;
  /** When the dispatcher may claim it (null: not waiting to be sent). */
  next_attempt_at: Generated<number | null>;
  /** Lease: until when the claiming instance holds the message, and which instance last claimed it. */
  locked_until: Generated<number | null>;
  locked_by: Generated<string | null>;
  updated_at: Generated<number | null>;
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

/** An operator of the platform (issue 14): signs in to the console and calls `/admin/v1`. */
export interface AdminsTable {
  admin_id: string;
  name: string;
  /** SHA-256 hex of the admin secret (256 random bits, like client secrets: no slow KDF needed). */
  secret_hash: string;
  created_at: number;
  /** Set once the admin is disabled: its secret, tokens and console sessions stop working. */
  disabled_at: number | null;
}

/** A bearer token of the admin API (`POST /admin/v1/token`). */
export interface AdminTokensTable {
  /** SHA-256 hex of the token. */
  token_hash: string;
  admin_id: string;
  created_at: number;
  expires_at: number;
}

/** A console sign-in: the cookie carries the session id, the table only its hash. */
export interface AdminSessionsTable {
  /** SHA-256 hex of the session id. */
  session_hash: string;
  admin_id: string;
  /**
   * The session's CSRF token, kept as is so pages can be rendered with it: alone it grants
   * nothing (every change also needs the session cookie, whose id is stored only hashed).
   */
  csrf_token: string;
  created_at: number;
  /** Sliding idle timeout: the session ends when unused for longer than the idle limit. */
  last_seen_at: number;
  /** Absolute end of the session, whatever its use. */
  expires_at: number;
}

/** One audited admin call: who, what, when, from where. Never a secret or a full phone number. */
export interface AdminAuditTable {
  /** Increasing; generated by the database. */
  id: Generated<number>;
  at: number;
  /** Null for a refused sign-in whose adminId is unknown. */
  admin_id: string | null;
  action: string;
  target: string | null;
  /** JSON object text. */
  detail: string | null;
  address: string | null;
}

/** One entry of a session's timeline, written in the transaction of the step it records. */
export interface SessionEventsTable {
  correlation_id: string;
  /** 1, 2, 3… within the session. */
  seq: number;
  at: number;
  /** `created`, a state-machine event (`otp_sent`, `expired`…), or `refused:<event>`. */
  type: string;
  from_state: string | null;
  to_state: string | null;
  /** A refusal (`too_many_messages`…) or failure reason code (`9100`…). */
  reason: string | null;
  /** `sms` for the messages of `otp_sent` / `link_sent`; `carrier` for Mobile Auth; else null. */
  channel: string | null;
  /** Masked destination number (`+1******0100`); never a full number. */
  destination: string | null;
}

/** A client's webhook endpoint (migration 010, docs/webhooks.md). */
export interface WebhookEndpointsTable {
  id: string;
  client_id: string;
  url: string;
  /** Comma-separated event types it receives. */
  events: string;
  /** 1: payloads carry the full number; 0: masked only. */
  include_phone: Generated<number>;
  /** `whsec_` + base64: readable, because signing needs it (docs/webhooks.md "Secrets"); never logged. */
  secret: string;
  created_at: number;
}

/** One event for one endpoint; `id` is the `webhook-id`, the same on every attempt. */
export interface WebhookDeliveriesTable {
  id: string;
  endpoint_id: string;
  event_type: string;
  /** The JSON body, exactly as signed and sent. */
  payload: string;
  created_at: number;
  /** `pending`, `sending`, `delivered` or `failed`. */
  status: string;
  attempts: Generated<number>;
  next_attempt_at: number | null;
  locked_until: Generated<number | null>;
  locked_by: Generated<string | null>;
  /** The receiver's last HTTP status (null: no answer). */
  last_status: Generated<number | null>;
  last_error: Generated<string | null>;
  delivered_at: Generated<number | null>;
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
  admins: AdminsTable;
  admin_tokens: AdminTokensTable;
  admin_sessions: AdminSessionsTable;
  admin_audit: AdminAuditTable;
  session_events: SessionEventsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
}
