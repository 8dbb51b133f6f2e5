/**
 * @module migrations
 * The one migration set for SQLite and PostgreSQL, as a static map so it survives bundling.
 * Add a migration by adding a key; never edit one that has shipped.
 */
import { PostgresAdapter, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

const time = 'bigint';

const initial: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('clients')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('secret_hash', 'text', (c) => c.notNull())
      .addColumn('namespace', 'text', (c) => c.notNull())
      .addColumn('created_at', time, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('access_tokens')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('expires_at', time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('access_tokens_expiry').on('access_tokens').column('expires_at').execute();
    await db.schema
      .createTable('sessions')
      .addColumn('correlation_id', 'text', (c) => c.primaryKey())
      .addColumn('auth_id', 'text', (c) => c.notNull().unique())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('token_id', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('possession_type', 'text', (c) => c.notNull())
      .addColumn('phone_e164', 'text')
      .addColumn('phone_display', 'text')
      .addColumn('prove_id', 'text')
      .addColumn('challenge', 'text', (c) => c.notNull())
      .addColumn('final_target_url', 'text')
      .addColumn('sms_message', 'text')
      .addColumn('allow_otp_retry', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('rebind', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('client_request_id', 'text')
      .addColumn('client_customer_id', 'text')
      .addColumn('client_human_id', 'text')
      .addColumn('email_address', 'text')
      .addColumn('ip_address', 'text')
      .addColumn('device_id', 'text')
      .addColumn('device_match', 'text')
      .addColumn('failure_reason', 'text')
      .addColumn('otp_hash', 'text')
      .addColumn('otp_sent_at', time)
      .addColumn('otp_attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('otp_resends', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('link_hash', 'text')
      .addColumn('link_sent_at', time)
      .addColumn('link_resends', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('mobile_auth_token', 'text')
      .addColumn('mobile_auth_confirmed', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', time, (c) => c.notNull())
      .addColumn('expires_at', time, (c) => c.notNull())
      .addColumn('ended_at', time)
      .addColumn('purge_at', time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sessions_purge').on('sessions').column('purge_at').execute();
    // Partial: most sessions never get a link or a Mobile Auth token, and an insert should not pay
    // for index entries nobody will look up (measured: each index costs WAL pages per insert).
    await db.schema
      .createIndex('sessions_link')
      .on('sessions')
      .column('link_hash')
      .where('link_hash', 'is not', null)
      .execute();
    await db.schema
      .createIndex('sessions_mobile_auth')
      .on('sessions')
      .column('mobile_auth_token')
      .where('mobile_auth_token', 'is not', null)
      .execute();
    await db.schema
      .createTable('devices')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('public_key', 'text', (c) => c.notNull())
      .addColumn('phone_e164', 'text')
      .addColumn('created_at', time, (c) => c.notNull())
      .addColumn('bound_at', time)
      .addColumn('last_used_at', time, (c) => c.notNull())
      .addColumn('revoked_at', time)
      .execute();
    await db.schema
      .createTable('identities')
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('phone_e164', 'text', (c) => c.notNull())
      .addColumn('prove_id', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', time, (c) => c.notNull())
      .addPrimaryKeyConstraint('identities_pk', ['client_id', 'phone_e164'])
      .execute();
    await db.schema
      .createTable('sms_outbox')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('client_id', 'text')
      .addColumn('to_e164', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('sent_at', time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sms_outbox_sent').on('sms_outbox').column('sent_at').execute();
    await db.schema
      .createTable('challenges')
      .addColumn('challenge', 'text', (c) => c.primaryKey())
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('expires_at', time, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('signing_keys')
      .addColumn('kid', 'text', (c) => c.primaryKey())
      .addColumn('private_jwk', 'text', (c) => c.notNull())
      .addColumn('created_at', time, (c) => c.notNull())
      .execute();
  },
};

/** Request budgets counted in the database, so every instance spends from the same one. */
const rateCounters: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('rate_counters')
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('window_start', time, (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('rate_counters_pk', ['key', 'window_start'])
      .execute();
    await db.schema.createIndex('rate_counters_window').on('rate_counters').column('window_start').execute();
  },
};

/**
 * Proofs of possession are bound to the number they were issued for (`proof_to`): the state
 * machine accepts a proof only while it names the session's current number.
 */
const proofTo: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('sessions').addColumn('proof_to', 'text').execute();
  },
};

/**
 * Abuse bounds: `rate_limits` is rate-limiter-flexible's PostgreSQL table (its column order:
 * key, points, expire), created here instead of by the library; challenges are looked up by
 * device to hand out a live one again instead of writing a row per request.
 */
const abuseLimits: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('rate_limits')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('points', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('expire', time)
      .execute();
    await db.schema.createIndex('rate_limits_expire').on('rate_limits').column('expire').execute();
    await db.schema.createIndex('challenges_device').on('challenges').columns(['device_id', 'expires_at']).execute();
  },
};

/**
 * Operating Handset (issue 14): admin credentials, the admin API's bearer tokens, the console's
 * sign-in sessions, the audit of every admin call, and a per-session event log (the timeline).
 * Messages in the outbox name their session. Secrets and session ids are stored as SHA-256 hashes.
 */
const admin: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema
      .createTable('admins')
      .addColumn('admin_id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('secret_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', time, (c) => c.notNull())
      .addColumn('disabled_at', time)
      .execute();
    await db.schema
      .createTable('admin_tokens')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('admin_id', 'text', (c) => c.notNull())
      .addColumn('created_at', time, (c) => c.notNull())
      .addColumn('expires_at', time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('admin_tokens_expiry').on('admin_tokens').column('expires_at').execute();
    await db.schema
      .createTable('admin_sessions')
      .addColumn('session_hash', 'text', (c) => c.primaryKey())
      .addColumn('admin_id', 'text', (c) => c.notNull())
      .addColumn('csrf_token', 'text', (c) => c.notNull())
      .addColumn('created_at', time, (c) => c.notNull())
      .addColumn('last_seen_at', time, (c) => c.notNull())
      .addColumn('expires_at', time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('admin_sessions_expiry').on('admin_sessions').column('expires_at').execute();
    // An increasing id orders entries written in the same millisecond (a test's frozen clock).
    await db.schema
      .createTable('admin_audit')
      .addColumn('id', postgres ? 'bigserial' : 'integer', (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('at', time, (c) => c.notNull())
      .addColumn('admin_id', 'text')
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target', 'text')
      .addColumn('detail', 'text')
      .addColumn('address', 'text')
      .execute();
    await db.schema.createIndex('admin_audit_at').on('admin_audit').column('at').execute();
    await db.schema
      .createTable('session_events')
      .addColumn('correlation_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('at', time, (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('from_state', 'text')
      .addColumn('to_state', 'text')
      .addColumn('reason', 'text')
      .addColumn('channel', 'text')
      .addColumn('destination', 'text')
      .addPrimaryKeyConstraint('session_events_pk', ['correlation_id', 'seq'])
      .execute();
    await db.schema.alterTable('sms_outbox').addColumn('correlation_id', 'text').execute();
    await db.schema
      .createIndex('sms_outbox_session')
      .on('sms_outbox')
      .column('correlation_id')
      .where('correlation_id', 'is not', null)
      .execute();
  },
};

/** Clients can be disabled (admin API): `/token` refuses a disabled client. */
const clientDisable: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('clients').addColumn('disabled_at', time).execute();
  },
};

/**
 * The courier's queue (issue 11, docs/channels.md "Courier"): `sms_outbox` gains a status, the
 * provider and its message id, attempts, the last error reason, the next attempt time and a lease.
 * Rows of the development outbox keep their meaning through the defaults: `delivered` by `outbox`.
 */
const courier: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('sms_outbox').addColumn('status', 'text', (c) => c.notNull().defaultTo('delivered')).execute();
    await db.schema.alterTable('sms_outbox').addColumn('provider', 'text', (c) => c.notNull().defaultTo('outbox')).execute();
    await db.schema.alterTable('sms_outbox').addColumn('provider_message_id', 'text').execute();
    await db.schema.alterTable('sms_outbox').addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('sms_outbox').addColumn('last_error', 'text').execute();
    await db.schema.alterTable('sms_outbox').addColumn('next_attempt_at', time).execute();
    await db.schema.alterTable('sms_outbox').addColumn('locked_until', time).execute();
    await db.schema.alterTable('sms_outbox').addColumn('locked_by', 'text').execute();
    await db.schema.alterTable('sms_outbox').addColumn('updated_at', time).execute();
    // The dispatcher's claim: only rows still waiting to be sent are indexed.
    await db.schema
      .createIndex('sms_outbox_due')
      .on('sms_outbox')
      .columns(['next_attempt_at'])
      .where(sql<boolean>`status in ('queued', 'sending')`)
      .execute();
    await db.schema
      .createIndex('sms_outbox_provider_id')
      .on('sms_outbox')
      .columns(['provider', 'provider_message_id'])
      .where('provider_message_id', 'is not', null)
      .execute();
  },
};

/**
 * The SIM swap signal (issue 11 item 6, docs/channels.md "SIM swap signal"): what the check found
 * for a succeeded session. Null: not checked; '': checked, no reason (no recent swap, or the
 * operator could not answer); else the risk reason's description (code 9135).
 */
const simSwap: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('sessions').addColumn('sim_swap_risk', 'text').execute();
  },
};

/**
 * Operator Mobile Auth with the SDK's pixel implementation (docs/channels.md "The browser leg"):
 * the number the operator vouched for at the callback, read by instant/finish together with
 * `mobile_auth_confirmed` (a session without a number learns it from there).
 */
const mobileAuthVouched: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('sessions').addColumn('mobile_auth_vouched', 'text').execute();
  },
};

/**
 * Signed outcome webhooks (issue 12 item 5, docs/webhooks.md): per-client endpoints with their
 * signing secrets, and one delivery row per event and endpoint (its id is the `webhook-id`), with
 * attempts, next attempt time, lease and last status or error, like the courier's queue.
 */
const webhooks: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('webhook_endpoints')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('events', 'text', (c) => c.notNull())
      .addColumn('include_phone', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('created_at', time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('webhook_endpoints_client').on('webhook_endpoints').column('client_id').execute();
    await db.schema
      .createTable('webhook_deliveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('endpoint_id', 'text', (c) => c.notNull())
      .addColumn('event_type', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('created_at', time, (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', time)
      .addColumn('locked_until', time)
      .addColumn('locked_by', 'text')
      .addColumn('last_status', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('delivered_at', time)
      .execute();
    await db.schema
      .createIndex('webhook_deliveries_due')
      .on('webhook_deliveries')
      .columns(['next_attempt_at'])
      .where(sql<boolean>`status in ('pending', 'sending')`)
      .execute();
  },
};

/**
 * The fraud policy's reasons recorded on a session (docs/fraud-policy.md "evaluation"): the codes
 * of the enforced `flag`, `deny_send` and `require_otp` rules that fired, comma-separated in the
 * order they first fired; `unify-status` reports them under `evaluation.risk`. Null: none.
 */
const policyReasons: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('sessions').addColumn('policy_reasons', 'text').execute();
  },
};

/** Every migration, in order of their keys. */
export const migrations: Record<string, Migration> = {
  '2026_11_25_001_initial': initial,
  '2026_11_26_002_rate_counters': rateCounters,
  '2026_12_01_003_proof_to': proofTo,
  '2026_12_01_004_abuse_limits': abuseLimits,
  '2026_12_01_005_admin': admin,
  '2026_12_01_006_client_disable': clientDisable,
  '2026_12_01_007_courier': courier,
  '2026_12_01_008_sim_swap': simSwap,
  '2026_12_01_009_mobile_auth_vouched': mobileAuthVouched,
  '2026_12_01_010_webhooks': webhooks,
  '2026_12_01_011_policy_reasons': policyReasons,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
