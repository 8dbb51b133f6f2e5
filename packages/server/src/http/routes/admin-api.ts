/**
 * @module admin-api
 * The admin API, `/admin/v1/*` (docs/admin.md): sessions and their timelines, Prove Keys by
 * number or client and their revocation, clients and their webhooks (admin-webhooks.ts), recent
 * messages, statistics and the audit.
 *
 * Auth: `POST /admin/v1/token` trades an admin's id and secret (`handset admins create`) for a
 * bearer token of 15 minutes; every other route needs one. Anything else (no header, a malformed
 * one, an unknown or expired token, a disabled admin's token, a client's access token or
 * credentials, a console session id) is 401 8002 with the same message: the API does not say
 * which credentials a caller holds. Failed sign-ins spend from the address's failed-credentials
 * budget (the one `/token` uses).
 *
 * Audit: every authenticated call writes one `admin_audit` entry — a change in the same
 * transaction as the change, a read before its data is sent (no audit, no data) — and a call
 * refused after authentication (a 400, a 404) is audited with its status before its answer is sent.
 */
import { ErrorBodySchema } from '@handset/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import {
  AdminQueryError,
  createClient,
  dailyStats,
  deliveryStats,
  devicesByClient,
  devicesByNumber,
  disableClient,
  listClients,
  recentMessages,
  revokeDevice,
  revokeDevicesOfNumber,
  rotateClientSecret,
  searchSessions,
  sessionTimeline,
  type ClientSummary,
  type DeviceSummary,
} from '../../admin/admin-queries.js';
import { ADMIN_TOKEN_TTL_SECONDS, findAdminByToken, issueAdminToken } from '../../admin/admin-tokens.js';
import { verifyAdminSecret, type Admin } from '../../admin/admins-repo.js';
import { listAudit, recordAudit, type AuditInput } from '../../admin/audit-log.js';
import { maskPhone, normalizePhone } from '../../lib/phone.js';
import type { Executor } from '../../store/executor.js';
import { apiError } from '../api-error.js';
import { callerAddress } from '../caller-limits.js';
import * as S from './admin-api-schemas.js';
import { webhookEnqueueDeps } from '../../webhooks/wiring.js';
import { adminWebhookRoutes } from './admin-webhooks.js';

/** The routes' prefix. */
export const ADMIN_API_PREFIX = '/admin/v1';

declare module 'fastify' {
  interface FastifyRequest {
    /** The admin of an `/admin/v1` call, set by its bearer-token hook. */
    admin?: Admin;
    /** True once the call's audit entry is written (the end-of-call entry is then not needed). */
    adminAudited?: boolean;
  }
  interface FastifyContextConfig {
    /** The audit action of an admin route (`devices.revoke`). */
    adminAction?: string;
  }
}

const UNAUTHORIZED_MESSAGE = 'an admin bearer token is required (POST /admin/v1/token)';
const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 404: ErrorBodySchema, 429: ErrorBodySchema, 503: ErrorBodySchema };
const secured = { security: [{ adminBearer: [] }], tags: ['admin'] };
const DEFAULT_LIMIT = 50;

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

/** A time filter as epoch ms, or a 400 naming the parameter. */
function time(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw apiError('MALFORMED_REQUEST', `query parameter '${name}' is not a valid date`);
  return ms;
}

function limitOf(value: string | undefined): number {
  const n = value === undefined ? DEFAULT_LIMIT : Number(value);
  if (n < 1 || n > 200) throw apiError('MALFORMED_REQUEST', "query parameter 'limit' must be between 1 and 200");
  return n;
}

/** Runs a query; its refusals of a filter value are 400s. */
async function query<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AdminQueryError || error instanceof RangeError) throw apiError('MALFORMED_REQUEST', error.message);
    throw error;
  }
}

function deviceOut(d: DeviceSummary) {
  return { ...d, createdAt: iso(d.createdAt), boundAt: isoOrNull(d.boundAt), lastUsedAt: iso(d.lastUsedAt), revokedAt: isoOrNull(d.revokedAt) };
}

function clientOut(c: ClientSummary) {
  return { ...c, createdAt: iso(c.createdAt), disabledAt: isoOrNull(c.disabledAt) };
}

/** A number as the audit keeps it: masked (or as given when it is no number at all). */
const maskedForAudit = (raw: string | undefined): string | undefined => (raw === undefined ? undefined : maskPhone(normalizePhone(raw) ?? raw));

export const adminApiRoutes = (deps: Deps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const db = deps.db.kysely;

    /** Writes the call's audit entry through `q` (the change's transaction, or the database). */
    const audit = async (q: Executor, request: FastifyRequest, entry: Omit<AuditInput, 'adminId' | 'address' | 'at' | 'action'> & { action?: string }) => {
      await recordAudit(q, {
        adminId: request.admin?.adminId ?? null,
        action: entry.action ?? request.routeOptions.config.adminAction ?? 'unknown',
        target: entry.target ?? null,
        detail: entry.detail ?? null,
        address: callerAddress(request),
        at: deps.clock.now(),
      });
      // Written for good only outside a transaction; `change` marks it once its transaction commits.
      if (q === db) request.adminAudited = true;
    };

    /** Runs a change and its audit entry in one transaction. */
    const change = async <T>(request: FastifyRequest, work: (trx: Executor) => Promise<{ value: T; target?: string | null; detail?: Record<string, unknown> }>) => {
      const value = await db.transaction().execute(async (trx) => {
        const done = await work(trx);
        await audit(trx, request, { target: done.target ?? null, detail: done.detail ?? null });
        return done.value;
      });
      request.adminAudited = true;
      return value;
    };

    app.addHook('onRequest', async (request) => {
      if (request.routeOptions.config.adminAction === 'token.issue') return;
      const header = request.headers.authorization;
      const match = header ? /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(header) : null;
      const admin = match ? await findAdminByToken(db, match[1]!, deps.clock.now()) : null;
      if (!admin) throw apiError('UNAUTHORIZED', UNAUTHORIZED_MESSAGE);
      request.admin = admin;
    });

    // A call refused after authentication (validation, not found) is audited with its status
    // before its answer goes out (so the entry is there once the caller has the answer).
    app.addHook('onSend', async (request, reply: FastifyReply, payload) => {
      if (!request.admin || request.adminAudited) return payload;
      try {
        await audit(db, request, { detail: { status: reply.statusCode } });
      } catch (error) {
        request.log.warn({ err: error }, 'admin audit entry of a refused call could not be written');
      }
      return payload;
    });

    app.post(
      '/token',
      {
        config: { adminAction: 'token.issue' },
        onRequest: async (request) => deps.limits.check('tokenFailuresPerIp', callerAddress(request)),
        schema: {
          tags: ['admin'],
          summary: 'Get an admin bearer token (15 minutes) for an admin id and secret',
          body: S.AdminTokenRequestSchema,
          response: { 200: S.AdminTokenResponseSchema, ...errors },
        },
      },
      async (request) => {
        const { adminId, secret } = request.body;
        const admin = await verifyAdminSecret(db, adminId, secret);
        if (!admin) {
          await deps.limits.record('tokenFailuresPerIp', callerAddress(request));
          await audit(db, request, { action: 'token.refused', target: adminId.slice(0, 64) });
          throw apiError('UNAUTHORIZED', 'invalid admin credentials');
        }
        request.admin = admin;
        const issued = await db.transaction().execute(async (trx) => {
          const token = await issueAdminToken(trx, admin.adminId, deps.clock.now(), deps.random);
          await audit(trx, request, { action: 'token.issued', target: admin.adminId });
          return token;
        });
        request.adminAudited = true;
        return { access_token: issued.token, token_type: 'Bearer' as const, expires_in: ADMIN_TOKEN_TTL_SECONDS };
      },
    );

    app.get(
      '/sessions',
      {
        config: { adminAction: 'sessions.search' },
        schema: { ...secured, summary: 'Search sessions (newest first; numbers masked)', querystring: S.SessionSearchQuerySchema, response: { 200: S.SessionPageSchema, ...errors } },
      },
      async (request) => {
        const q = request.query;
        const page = await query(() =>
          searchSessions(db, {
            ...(q.correlationId !== undefined && { correlationId: q.correlationId }),
            ...(q.clientRequestId !== undefined && { clientRequestId: q.clientRequestId }),
            ...(q.phoneNumber !== undefined && { phoneNumber: q.phoneNumber }),
            ...(q.maskedNumber !== undefined && { maskedNumber: q.maskedNumber }),
            ...(q.clientId !== undefined && { clientId: q.clientId }),
            ...(q.outcome !== undefined && { outcome: q.outcome }),
            ...(q.possessionType !== undefined && { possessionType: q.possessionType }),
            ...(q.from !== undefined && { from: time(q.from, 'from')! }),
            ...(q.to !== undefined && { to: time(q.to, 'to')! }),
            ...(q.cursor !== undefined && { cursor: q.cursor }),
            limit: limitOf(q.limit),
          }),
        );
        await audit(db, request, { detail: { ...q, phoneNumber: maskedForAudit(q.phoneNumber), results: page.sessions.length } });
        return {
          sessions: page.sessions.map((s) => ({ ...s, createdAt: iso(s.createdAt), expiresAt: iso(s.expiresAt), endedAt: isoOrNull(s.endedAt) })),
          nextCursor: page.nextCursor,
        };
      },
    );

    app.get(
      '/sessions/:correlationId',
      {
        config: { adminAction: 'sessions.read' },
        schema: { ...secured, summary: "One session's timeline: steps, state changes, messages, reasons", params: S.CorrelationParamsSchema, response: { 200: S.SessionTimelineSchema, ...errors } },
      },
      async (request) => {
        const timeline = await sessionTimeline(db, request.params.correlationId);
        if (!timeline) throw apiError('NOT_FOUND', 'no session with this correlationId (or it has been purged)');
        await audit(db, request, { target: request.params.correlationId });
        const s = timeline.session;
        return {
          session: { ...s, createdAt: iso(s.createdAt), expiresAt: iso(s.expiresAt), endedAt: isoOrNull(s.endedAt), purgeAt: iso(s.purgeAt) },
          events: timeline.events.map((e) => ({ ...e, at: iso(e.at) })),
        };
      },
    );

    app.get(
      '/devices',
      {
        config: { adminAction: 'devices.list' },
        schema: {
          ...secured,
          summary: 'Prove Keys of one number (exact match) or of one client: exactly one of phoneNumber, clientId',
          querystring: S.DevicesQuerySchema,
          response: { 200: S.DeviceListSchema, ...errors },
        },
      },
      async (request) => {
        const { phoneNumber, clientId, limit } = request.query;
        if ((phoneNumber === undefined) === (clientId === undefined)) {
          throw apiError('MALFORMED_REQUEST', "give exactly one of the query parameters 'phoneNumber' and 'clientId'");
        }
        const devices = await query(() =>
          phoneNumber !== undefined ? devicesByNumber(db, phoneNumber) : devicesByClient(db, clientId!, limitOf(limit)),
        );
        await audit(db, request, { target: clientId ?? maskedForAudit(phoneNumber) ?? null, detail: { results: devices.length } });
        return { devices: devices.map(deviceOut) };
      },
    );

    app.post(
      '/devices/:deviceId/revoke',
      {
        config: { adminAction: 'devices.revoke' },
        schema: { ...secured, summary: 'Revoke one Prove Key (the next flow asks for possession again)', params: S.DeviceParamsSchema, response: { 200: S.DeviceResponseSchema, ...errors } },
      },
      async (request) => {
        const device = await change(request, async (trx) => {
          const revoked = await revokeDevice(trx, request.params.deviceId, deps.clock.now(), webhookEnqueueDeps(deps));
          if (!revoked) throw apiError('NOT_FOUND', 'no Prove Key with this deviceId');
          return { value: revoked, target: revoked.deviceId, detail: { clientId: revoked.clientId, number: revoked.number } };
        });
        return { device: deviceOut(device) };
      },
    );

    app.post(
      '/devices/revoke-number',
      {
        config: { adminAction: 'devices.revoke-number' },
        schema: { ...secured, summary: 'Revoke every Prove Key bound to one number (exact match), of every client', body: S.RevokeNumberBodySchema, response: { 200: S.RevokedSchema, ...errors } },
      },
      async (request) => {
        const revoked = await query(() =>
          change(request, async (trx) => {
            const ids = await revokeDevicesOfNumber(trx, request.body.phoneNumber, deps.clock.now(), webhookEnqueueDeps(deps));
            return { value: ids, target: maskedForAudit(request.body.phoneNumber) ?? null, detail: { revoked: ids } };
          }),
        );
        return { revoked };
      },
    );

    const limits = () => ({ rateLimitPerSecond: deps.config.rateLimitPerSecond, tokenPerClientPerMinute: deps.config.limits.tokenPerClientPerMinute });

    app.get(
      '/clients',
      { config: { adminAction: 'clients.list' }, schema: { ...secured, summary: 'Clients with their rate limits (secrets are never shown)', response: { 200: S.ClientListSchema, ...errors } } },
      async (request) => {
        const clients = await listClients(db, limits());
        await audit(db, request, { detail: { results: clients.length } });
        return { clients: clients.map(clientOut) };
      },
    );

    app.post(
      '/clients',
      {
        config: { adminAction: 'clients.create' },
        schema: { ...secured, summary: 'Create a client; its secret is in this answer only', body: S.CreateClientBodySchema, response: { 200: S.ClientCredentialsSchema, ...errors } },
      },
      async (request) => {
        const name = request.body.name.trim();
        if (name.length === 0) throw apiError('MALFORMED_REQUEST', "field 'name' is empty");
        return change(request, async (trx) => {
          const created = await createClient(trx, deps, name);
          return { value: created, target: created.clientId, detail: { name } };
        });
      },
    );

    app.post(
      '/clients/:clientId/rotate-secret',
      {
        config: { adminAction: 'clients.rotate-secret' },
        schema: {
          ...secured,
          summary: 'Give a client a new secret (in this answer only); the old one stops working at /token at once',
          params: S.ClientParamsSchema,
          response: { 200: S.ClientCredentialsSchema, ...errors },
        },
      },
      async (request) =>
        change(request, async (trx) => {
          const rotated = await rotateClientSecret(trx, deps, request.params.clientId);
          if (!rotated) throw apiError('NOT_FOUND', 'no client with this clientId');
          return { value: rotated, target: rotated.clientId };
        }),
    );

    app.post(
      '/clients/:clientId/disable',
      {
        config: { adminAction: 'clients.disable' },
        schema: { ...secured, summary: 'Disable a client: /token refuses it from now on', params: S.ClientParamsSchema, response: { 200: S.ClientResponseSchema, ...errors } },
      },
      async (request) => {
        const { clientId } = request.params;
        const client = await change(request, async (trx) => {
          if (!(await disableClient(trx, clientId, deps.clock.now()))) throw apiError('NOT_FOUND', 'no client with this clientId');
          const after = (await listClients(trx, limits())).find((c) => c.clientId === clientId)!;
          return { value: after, target: clientId };
        });
        // This instance forgets the client's cached access tokens at once (others when they expire).
        deps.accessTokens.forgetClient(clientId);
        return { client: clientOut(client) };
      },
    );

    adminWebhookRoutes(app, deps, { audit, change, limitOf });

    app.get(
      '/messages',
      {
        config: { adminAction: 'messages.list' },
        schema: { ...secured, summary: 'Recent messages with status (masked numbers; never a body or code)', querystring: S.MessagesQuerySchema, response: { 200: S.MessageListSchema, ...errors } },
      },
      async (request) => {
        const { clientId, limit } = request.query;
        const messages = await recentMessages(db, { limit: limitOf(limit), ...(clientId !== undefined && { clientId }) });
        await audit(db, request, { target: clientId ?? null, detail: { results: messages.length } });
        return { messages: messages.map((m) => ({ ...m, sentAt: iso(m.sentAt) })) };
      },
    );

    app.get(
      '/stats/daily',
      {
        config: { adminAction: 'stats.daily' },
        schema: {
          ...secured,
          summary: 'Per UTC day and channel: sessions started, possession proven, succeeded',
          querystring: S.DailyStatsQuerySchema,
          response: { 200: S.DailyStatsSchema, ...errors },
        },
      },
      async (request) => {
        const { from, to, clientId } = request.query;
        const days = await query(() => dailyStats(db, { from: time(from, 'from')!, to: time(to, 'to')!, ...(clientId !== undefined && { clientId }) }));
        await audit(db, request, { target: clientId ?? null, detail: { from, to } });
        return { days };
      },
    );

    app.get(
      '/stats/delivery',
      {
        config: { adminAction: 'stats.delivery' },
        schema: { ...secured, summary: 'Messages per provider: sent, delivered, failed', querystring: S.DeliveryStatsQuerySchema, response: { 200: S.DeliveryStatsSchema, ...errors } },
      },
      async (request) => {
        const { from, to } = request.query;
        const providers = await query(() => deliveryStats(db, { from: time(from, 'from')!, to: time(to, 'to')! }));
        await audit(db, request, { detail: { from, to } });
        return { providers };
      },
    );

    app.get(
      '/audit',
      {
        config: { adminAction: 'audit.read' },
        schema: { ...secured, summary: 'The audit of admin calls, newest first', querystring: S.AuditQuerySchema, response: { 200: S.AuditPageSchema, ...errors } },
      },
      async (request) => {
        const q = request.query;
        const page = await query(() =>
          listAudit(db, {
            limit: limitOf(q.limit),
            ...(q.adminId !== undefined && { adminId: q.adminId }),
            ...(q.action !== undefined && { action: q.action }),
            ...(q.from !== undefined && { from: time(q.from, 'from')! }),
            ...(q.to !== undefined && { to: time(q.to, 'to')! }),
            ...(q.cursor !== undefined && { cursor: q.cursor }),
          }),
        );
        await audit(db, request, { detail: { ...q, results: page.entries.length } });
        return { entries: page.entries.map((e) => ({ ...e, at: iso(e.at) })), nextCursor: page.nextCursor };
      },
    );
  };
