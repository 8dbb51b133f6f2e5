/**
 * @module admin-queries
 * What an operator may read and change, as plain functions over the database (`Executor`: the
 * Kysely instance or an open transaction), shared by the admin API (`/admin/v1`) and the console.
 * Every function runs the same SQL on SQLite and PostgreSQL.
 *
 * What leaves this module is safe to show an operator: phone numbers masked (`+1******0100`),
 * never a code, link, message body, proof hash, authToken or secret. Numbers are looked up by
 * exact match only (or by their last four digits, which still shows only masked numbers): no
 * function lists numbers without a filter, and no filter takes a wildcard.
 */
import { sql } from 'kysely';
import { FAILURE_REASON_TEXT } from '@handset/protocol/browser'; // schema-free: `handset sessions` loads this file
import { maskPhone, normalizePhone } from '../lib/phone.js';
import { findDevice, revokeDevice as revokeClientDevice } from '../store/devices-repo.js';
import type { Executor } from '../store/executor.js';
import type { SessionsTable } from '../store/schema.js';
import { listClients as listClientRows } from '../store/clients-repo.js';
import type { PossessionType, SessionState } from '../flows/session-types.js';
import { PENDING_STATES } from '../flows/session-state.js';
import type { WebhookEnqueueDeps } from '../webhooks/events.js';

export { createClient, disableClient, rotateClientSecret, type NewClient } from '../flows/clients.js';

/** The most rows one call returns. */
export const MAX_PAGE = 200;

/** How a session ended (or not yet), as an operator filters it. */
export type SessionOutcome = 'pending' | 'succeeded' | 'failed' | 'possession_required';

export const SESSION_OUTCOMES: readonly SessionOutcome[] = ['pending', 'succeeded', 'failed', 'possession_required'];

/** The states behind each outcome. */
const STATES_OF: Record<SessionOutcome, SessionState[]> = {
  pending: [...PENDING_STATES],
  succeeded: ['succeeded'],
  failed: ['failed'],
  possession_required: ['possession_required'],
};

function outcomeOfState(state: SessionState): SessionOutcome {
  if (state === 'succeeded' || state === 'failed' || state === 'possession_required') return state;
  return 'pending';
}

/** A filter value the functions refuse (a route has validated it already; this is the backstop). */
export class AdminQueryError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'AdminQueryError';
  }
}

function pageSize(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) throw new AdminQueryError('limit must be a positive integer');
  return Math.min(limit, MAX_PAGE);
}

// ---------------------------------------------------------------------------------------------
// Sessions

/** Filters of {@link searchSessions}: all optional but `limit`; given ones must all match. */
export interface SessionSearch {
  correlationId?: string;
  clientRequestId?: string;
  /** A full number, matched exactly after normalisation to E.164. */
  phoneNumber?: string;
  /**
   * The last four digits (`0100`), or a number as the API shows it (`+1******0100`: same country
   * prefix, length and last four digits). Never a prefix or a wildcard.
   */
  maskedNumber?: string;
  clientId?: string;
  outcome?: SessionOutcome;
  possessionType?: PossessionType;
  /** Epoch ms, inclusive (session creation). */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  limit: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

/** One session as an operator sees it. */
export interface SessionSummary {
  correlationId: string;
  clientId: string;
  clientRequestId: string | null;
  possessionType: PossessionType;
  /** The stored state (a pending session past `expiresAt` is written down as failed at its next read). */
  state: SessionState;
  outcome: SessionOutcome;
  /** Masked, or null when the session has no number (yet). */
  number: string | null;
  deviceId: string | null;
  deviceMatch: string | null;
  /** Failure reason code (`9100`…) and its text. */
  failureReason: string | null;
  failureReasonText: string | null;
  createdAt: number;
  expiresAt: number;
  endedAt: number | null;
}

export interface SessionPage {
  sessions: SessionSummary[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

const SUMMARY_COLUMNS = [
  'correlation_id', 'client_id', 'client_request_id', 'possession_type', 'state', 'phone_e164', 'device_id',
  'device_match', 'failure_reason', 'created_at', 'expires_at', 'ended_at',
] as const satisfies ReadonlyArray<keyof SessionsTable>;
type SummaryRow = Pick<SessionsTable, (typeof SUMMARY_COLUMNS)[number]>;

function summary(row: SummaryRow): SessionSummary {
  return {
    correlationId: row.correlation_id,
    clientId: row.client_id,
    clientRequestId: row.client_request_id,
    possessionType: row.possession_type,
    state: row.state,
    outcome: outcomeOfState(row.state),
    number: row.phone_e164 ? maskPhone(row.phone_e164) : null,
    deviceId: row.device_id,
    deviceMatch: row.device_match,
    failureReason: row.failure_reason,
    failureReasonText: row.failure_reason ? (FAILURE_REASON_TEXT[row.failure_reason] ?? null) : null,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    endedAt: row.ended_at,
  };
}

/** A masked-number filter as SQL parts: everything in it is a digit or `+`, so LIKE sees no wildcard. */
function maskedNumberParts(masked: string): { prefix: string | null; suffix: string; length: number | null } {
  if (/^[0-9]{4}$/.test(masked)) return { prefix: null, suffix: masked, length: null };
  const shown = /^(\+[0-9]{1,3})(\*{1,14})([0-9]{4})$/.exec(masked);
  if (!shown) throw new AdminQueryError("maskedNumber must be four digits or a masked number such as '+1******0100'");
  return { prefix: shown[1]!, suffix: shown[3]!, length: masked.length };
}

/** Cursors are opaque to callers: base64url of `createdAt:correlationId`. */
function encodeSessionCursor(row: SummaryRow): string {
  return Buffer.from(`${row.created_at}:${row.correlation_id}`).toString('base64url');
}

function decodeSessionCursor(cursor: string): { createdAt: number; correlationId: string } {
  const text = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = /^([0-9]{1,15}):([A-Za-z0-9-]{1,64})$/.exec(text);
  if (!match) throw new AdminQueryError('cursor is not one this API handed out');
  return { createdAt: Number(match[1]), correlationId: match[2]! };
}

/**
 * Sessions matching every given filter, newest first, one page at a time. Numbers come back
 * masked. Throws {@link AdminQueryError} for a malformed number filter or cursor.
 */
export async function searchSessions(q: Executor, filter: SessionSearch): Promise<SessionPage> {
  const limit = pageSize(filter.limit);
  let query = q.selectFrom('sessions').select(SUMMARY_COLUMNS);
  if (filter.correlationId !== undefined) query = query.where('correlation_id', '=', filter.correlationId);
  if (filter.clientRequestId !== undefined) query = query.where('client_request_id', '=', filter.clientRequestId);
  if (filter.clientId !== undefined) query = query.where('client_id', '=', filter.clientId);
  if (filter.possessionType !== undefined) query = query.where('possession_type', '=', filter.possessionType);
  if (filter.outcome !== undefined) query = query.where('state', 'in', STATES_OF[filter.outcome]);
  if (filter.from !== undefined) query = query.where('created_at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('created_at', '<', filter.to);
  if (filter.phoneNumber !== undefined) {
    const phone = normalizePhone(filter.phoneNumber);
    if (!phone) throw new AdminQueryError('phoneNumber is not a possible phone number');
    query = query.where('phone_e164', '=', phone);
  }
  if (filter.maskedNumber !== undefined) {
    const { prefix, suffix, length } = maskedNumberParts(filter.maskedNumber);
    query = query.where('phone_e164', 'like', `%${suffix}`);
    if (prefix !== null && length !== null) {
      query = query.where('phone_e164', 'like', `${prefix}%`).where(sql<number>`length(phone_e164)`, '=', length);
    }
  }
  if (filter.cursor !== undefined) {
    const after = decodeSessionCursor(filter.cursor);
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '<', after.createdAt),
        eb.and([eb('created_at', '=', after.createdAt), eb('correlation_id', '<', after.correlationId)]),
      ]),
    );
  }
  const rows = await query.orderBy('created_at', 'desc').orderBy('correlation_id', 'desc').limit(limit + 1).execute();
  const page = rows.slice(0, limit);
  return {
    sessions: page.map(summary),
    nextCursor: rows.length > limit ? encodeSessionCursor(page[page.length - 1]!) : null,
  };
}

/** One entry of a session's timeline. */
export interface TimelineEntry {
  at: number;
  /** `event`: a step of the state machine (or creation); `message`: an SMS the session sent; `device`: its key revoked. */
  kind: 'event' | 'message' | 'device';
  /** `created`, a state-machine event (`otp_sent`, `otp_checked`…), `refused:<event>`, `sms`, `device_revoked`. */
  type: string;
  fromState: string | null;
  toState: string | null;
  /** A refusal (`too_many_messages`, `not_allowed`, `other_number`) or failure reason code. */
  reason: string | null;
  reasonText: string | null;
  channel: string | null;
  /** Masked number. */
  destination: string | null;
  /** Messages: the provider and the status it reports (the outbox stores every message it accepts). */
  provider?: string;
  status?: string;
}

/** A session's detail: the summary, its counters, and everything that happened to it, in order. */
export interface SessionTimeline {
  session: SessionSummary & { otpAttempts: number; otpResends: number; linkResends: number; purgeAt: number };
  events: TimelineEntry[];
}

/**
 * The development outbox's provider name (sms/sms-sender.ts); its rows are `delivered` (they reached
 * the only place they go). Courier rows carry their real provider and status (migration 007).
 */
const OUTBOX_PROVIDER = 'outbox';

/**
 * A session and its timeline: the steps recorded with it (creation, every state-machine event
 * and refusal, expiry), the messages it sent (masked destination, provider, status — never the
 * body), and the revocation of its device key if that happened. Null for an unknown or purged session.
 */
export async function sessionTimeline(q: Executor, correlationId: string): Promise<SessionTimeline | null> {
  const row = await q
    .selectFrom('sessions')
    .select([...SUMMARY_COLUMNS, 'otp_attempts', 'otp_resends', 'link_resends', 'purge_at'])
    .where('correlation_id', '=', correlationId)
    .executeTakeFirst();
  if (!row) return null;
  const events = await q
    .selectFrom('session_events')
    .select(['seq', 'at', 'type', 'from_state', 'to_state', 'reason', 'channel', 'destination'])
    .where('correlation_id', '=', correlationId)
    .orderBy('seq')
    .execute();
  const messages = await q
    .selectFrom('sms_outbox')
    .select(['id', 'to_e164', 'sent_at', 'provider', 'status'])
    .where('correlation_id', '=', correlationId)
    .orderBy('sent_at')
    .orderBy('id')
    .execute();
  const entries: Array<TimelineEntry & { order: number }> = [];
  events.forEach((e, i) =>
    entries.push({
      order: i,
      at: e.at,
      kind: 'event',
      type: e.type,
      fromState: e.from_state,
      toState: e.to_state,
      reason: e.reason,
      reasonText: e.reason ? (FAILURE_REASON_TEXT[e.reason] ?? null) : null,
      channel: e.channel,
      destination: e.destination,
    }),
  );
  // A message goes right after the step that sent it (same transaction, so the same time).
  const senders = events.flatMap((e, i) => (e.type === 'otp_sent' || e.type === 'link_sent' ? [{ at: e.at, order: i }] : []));
  const senderOf = (sentAt: number): number | undefined => {
    const index = senders.findIndex((s) => s.at === sentAt);
    return index === -1 ? undefined : senders.splice(index, 1)[0]!.order;
  };
  messages.forEach((m, i) =>
    entries.push({
      order: (senderOf(m.sent_at) ?? events.length + i) + 0.5,
      at: m.sent_at,
      kind: 'message',
      type: 'sms',
      fromState: null,
      toState: null,
      reason: null,
      reasonText: null,
      channel: 'sms',
      destination: maskPhone(m.to_e164),
      provider: m.provider,
      status: m.status,
    }),
  );
  if (row.device_id) {
    const device = await findDevice(q, row.device_id);
    if (device?.revoked_at != null) {
      entries.push({
        order: Number.MAX_SAFE_INTEGER,
        at: device.revoked_at,
        kind: 'device',
        type: 'device_revoked',
        fromState: null,
        toState: null,
        reason: null,
        reasonText: null,
        channel: null,
        destination: device.phone_e164 ? maskPhone(device.phone_e164) : null,
      });
    }
  }
  // By time; at one instant, in the order the steps ran, each message after the step that sent it.
  entries.sort((a, b) => a.at - b.at || a.order - b.order);
  return {
    session: {
      ...summary(row),
      otpAttempts: row.otp_attempts,
      otpResends: row.otp_resends,
      linkResends: row.link_resends,
      purgeAt: row.purge_at,
    },
    events: entries.map(({ order: _order, ...entry }) => entry),
  };
}

// ---------------------------------------------------------------------------------------------
// Devices (Prove Keys)

/** A Prove Key as an operator sees it (no key material). */
export interface DeviceSummary {
  deviceId: string;
  clientId: string;
  /** The number the key is bound to, masked; null while unbound. */
  number: string | null;
  createdAt: number;
  boundAt: number | null;
  lastUsedAt: number;
  revokedAt: number | null;
}

const DEVICE_COLUMNS = ['id', 'client_id', 'phone_e164', 'created_at', 'bound_at', 'last_used_at', 'revoked_at'] as const;

function deviceSummary(row: {
  id: string;
  client_id: string;
  phone_e164: string | null;
  created_at: number;
  bound_at: number | null;
  last_used_at: number;
  revoked_at: number | null;
}): DeviceSummary {
  return {
    deviceId: row.id,
    clientId: row.client_id,
    number: row.phone_e164 ? maskPhone(row.phone_e164) : null,
    createdAt: row.created_at,
    boundAt: row.bound_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

function exactNumber(raw: string): string {
  const phone = normalizePhone(raw);
  if (!phone) throw new AdminQueryError('the phone number is not a possible phone number (a full number is needed: no prefix, no wildcard)');
  return phone;
}

/** The keys bound to one number (exact match after normalisation), every client's, newest first. */
export async function devicesByNumber(q: Executor, phoneNumber: string): Promise<DeviceSummary[]> {
  const rows = await q
    .selectFrom('devices')
    .select(DEVICE_COLUMNS)
    .where('phone_e164', '=', exactNumber(phoneNumber))
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(MAX_PAGE)
    .execute();
  return rows.map(deviceSummary);
}

/** A client's keys, newest first (at most `limit`, up to {@link MAX_PAGE}). */
export async function devicesByClient(q: Executor, clientId: string, limit: number = MAX_PAGE): Promise<DeviceSummary[]> {
  const rows = await q
    .selectFrom('devices')
    .select(DEVICE_COLUMNS)
    .where('client_id', '=', clientId)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(pageSize(limit))
    .execute();
  return rows.map(deviceSummary);
}

/**
 * Revokes one key, through the same repository call as `/v3/device/revoke`: the next flow on
 * that device finds no usable key and asks for possession again. Returns the key as it is now,
 * or null for an unknown key. Revoking a revoked key changes nothing.
 */
export async function revokeDevice(q: Executor, deviceId: string, now: number, webhooks?: WebhookEnqueueDeps): Promise<DeviceSummary | null> {
  const device = await findDevice(q, deviceId);
  if (!device) return null;
  await revokeClientDevice(q, device.id, device.client_id, now, webhooks);
  const after = await findDevice(q, deviceId);
  return after ? deviceSummary(after) : null;
}

/**
 * Revokes every live key bound to a number (exact match), of every client. Returns the ids
 * revoked now. Run it in a transaction.
 */
export async function revokeDevicesOfNumber(q: Executor, phoneNumber: string, now: number, webhooks?: WebhookEnqueueDeps): Promise<string[]> {
  const live = await q
    .selectFrom('devices')
    .select(['id', 'client_id'])
    .where('phone_e164', '=', exactNumber(phoneNumber))
    .where('revoked_at', 'is', null)
    .orderBy('id')
    .execute();
  for (const device of live) await revokeClientDevice(q, device.id, device.client_id, now, webhooks);
  return live.map((d) => d.id);
}

// ---------------------------------------------------------------------------------------------
// Clients

/** The request budgets every client gets (from the configuration: there are no per-client limits). */
export interface ClientRateLimits {
  /** `/v3/*` requests per second per client; 0 means no limit. */
  rateLimitPerSecond: number;
  /** `POST /token` per client per minute; 0 means no limit. */
  tokenPerClientPerMinute: number;
}

/**
 * A client as an operator sees it: never its secret or hash. Handset has no webhooks yet, so a
 * client has no webhook endpoints to show.
 */
export interface ClientSummary {
  clientId: string;
  name: string;
  createdAt: number;
  disabledAt: number | null;
  rateLimits: ClientRateLimits;
}

/** Every client, oldest first, with the request budgets that apply to it. */
export async function listClients(q: Executor, limits: ClientRateLimits): Promise<ClientSummary[]> {
  const rows = await listClientRows(q);
  return rows.map((r) => ({
    clientId: r.id,
    name: r.name,
    createdAt: r.created_at,
    disabledAt: r.disabled_at,
    rateLimits: { rateLimitPerSecond: limits.rateLimitPerSecond, tokenPerClientPerMinute: limits.tokenPerClientPerMinute },
  }));
}

// ---------------------------------------------------------------------------------------------
// Messages

/** A message as an operator sees it: who (masked), when, how it went; never its body. */
export interface MessageSummary {
  messageId: string;
  clientId: string | null;
  correlationId: string | null;
  to: string;
  provider: string;
  status: string;
  sentAt: number;
}

/**
 * The newest messages (up to {@link MAX_PAGE}), optionally of one client. Only safe columns are
 * read: the outbox keeps bodies (with codes and links), which never leave it through here.
 */
export async function recentMessages(q: Executor, filter: { limit: number; clientId?: string }): Promise<MessageSummary[]> {
  let query = q.selectFrom('sms_outbox').select(['id', 'client_id', 'correlation_id', 'to_e164', 'sent_at', 'provider', 'status']);
  if (filter.clientId !== undefined) query = query.where('client_id', '=', filter.clientId);
  const rows = await query.orderBy('sent_at', 'desc').orderBy('id', 'desc').limit(pageSize(filter.limit)).execute();
  return rows.map((r) => ({
    messageId: r.id,
    clientId: r.client_id,
    correlationId: r.correlation_id,
    to: maskPhone(r.to_e164),
    provider: r.provider,
    status: r.status,
    sentAt: r.sent_at,
  }));
}

// ---------------------------------------------------------------------------------------------
// Statistics

const DAY_MS = 86_400_000;
/** The longest range a statistics call covers (a year and a day). */
export const MAX_STATS_DAYS = 367;

/** One day and channel of the conversion funnel. */
export interface DailyFunnel {
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  /** The session's possession type: `mobile`, `desktop` or `none` (customer-supplied). */
  channel: PossessionType;
  started: number;
  /** Sessions that proved possession: succeeded, or proved it and wait for a rebind (`possession_required` on mobile). */
  possessionProven: number;
  succeeded: number;
}

function checkRange(range: { from: number; to: number }): void {
  if (!Number.isFinite(range.from) || !Number.isFinite(range.to) || range.to <= range.from) {
    throw new AdminQueryError("'to' must be after 'from'");
  }
  if (range.to - range.from > MAX_STATS_DAYS * DAY_MS) throw new AdminQueryError(`a range covers at most ${MAX_STATS_DAYS} days`);
}

/**
 * The conversion funnel per UTC day (of session creation) and channel: sessions started →
 * possession proven → succeeded, in `[from, to)`, optionally of one client. Days without
 * sessions are left out.
 */
export async function dailyStats(q: Executor, filter: { from: number; to: number; clientId?: string }): Promise<DailyFunnel[]> {
  checkRange(filter);
  let query = q
    .selectFrom('sessions')
    .select([
      sql<number>`created_at / ${sql.lit(DAY_MS)}`.as('day'),
      'possession_type',
      sql<number>`count(*)`.as('started'),
      sql<number>`sum(case when state = 'succeeded' or (state = 'possession_required' and possession_type = 'mobile') then 1 else 0 end)`.as(
        'proven',
      ),
      sql<number>`sum(case when state = 'succeeded' then 1 else 0 end)`.as('succeeded'),
    ])
    .where('created_at', '>=', filter.from)
    .where('created_at', '<', filter.to);
  if (filter.clientId !== undefined) query = query.where('client_id', '=', filter.clientId);
  const rows = await query
    .groupBy([sql`created_at / ${sql.lit(DAY_MS)}`, 'possession_type'])
    .orderBy('day')
    .orderBy('possession_type')
    .execute();
  return rows.map((r) => ({
    day: new Date(Number(r.day) * DAY_MS).toISOString().slice(0, 10),
    channel: r.possession_type,
    started: Number(r.started),
    possessionProven: Number(r.proven),
    succeeded: Number(r.succeeded),
  }));
}

/** Messages per provider in a range, by status. */
export interface DeliveryCounts {
  provider: string;
  sent: number;
  delivered: number;
  failed: number;
}

/**
 * Messages queued in `[from, to)` per provider: sent (a provider took it: `sent` or `delivered`),
 * delivered, failed (`failed` or `undeliverable`). Messages still queued or sending count nowhere
 * yet; a courier message refused before any provider took it counts under `courier`. A range with
 * no message lists the outbox with 0s, as before the courier existed.
 */
export async function deliveryStats(q: Executor, filter: { from: number; to: number }): Promise<DeliveryCounts[]> {
  checkRange(filter);
  const rows = await q
    .selectFrom('sms_outbox')
    .select([
      'provider',
      sql<number>`sum(case when status in ('sent', 'delivered') then 1 else 0 end)`.as('sent'),
      sql<number>`sum(case when status = 'delivered' then 1 else 0 end)`.as('delivered'),
      sql<number>`sum(case when status in ('failed', 'undeliverable') then 1 else 0 end)`.as('failed'),
    ])
    .where('sent_at', '>=', filter.from)
    .where('sent_at', '<', filter.to)
    .groupBy('provider')
    .orderBy('provider')
    .execute();
  const counts = rows.map((r) => ({ provider: r.provider, sent: Number(r.sent ?? 0), delivered: Number(r.delivered ?? 0), failed: Number(r.failed ?? 0) }));
  if (rows.length === 0) counts.push({ provider: OUTBOX_PROVIDER, sent: 0, delivered: 0, failed: 0 });
  return counts;
}
