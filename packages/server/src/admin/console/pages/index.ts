/**
 * @module admin/console/pages
 * Every page of the signed-in console, registered in the guarded scope (console-auth.ts has
 * already found the session, and checked the CSRF token of every POST). Reads go through
 * admin-queries.ts, the same functions as the admin API; every action that reads customer data or
 * changes something is audited, a change in the same transaction as its audit entry.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../../../deps.js';
import { maskPhone, normalizePhone } from '../../../lib/phone.js';
import type { Executor } from '../../../store/executor.js';
import {
  createClient,
  dailyStats,
  deliveryStats,
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
} from '../../admin-queries.js';
import { recordAudit } from '../../audit-log.js';
import { sessionOf, viewerOf } from '../console-auth.js';
import { consolePage, type PageOptions } from '../layout.js';
import { sendPage, sendRefusal } from './answer.js';
import { CLIENT_NAME_MAX, clientsBody, type ClientsView } from './clients.js';
import { devicesBody, type DevicesView } from './devices.js';
import { messagesBody } from './messages.js';
import { conversionSection, daysBetween, deliverySection } from './overview.js';
import { parseSessionFilters, sessionsListBody, timelineBody } from './sessions.js';
import { webhookEnqueueDeps } from '../../../webhooks/wiring.js';

const DAY_MS = 86_400_000;
const SESSIONS_PER_PAGE = 50;
const MESSAGES_SHOWN = 100;
/** The overview's choice of ranges, in days. */
const RANGES = [7, 14, 30, 90] as const;

type Body = Record<string, unknown>;

function bodyOf(request: FastifyRequest): Body {
  return request.body && typeof request.body === 'object' ? (request.body as Body) : {};
}

function text(body: Body, name: string, max: number): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value.trim() !== '' && value.length <= max ? value.trim() : undefined;
}

function dayOf(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

export function consolePages(scope: FastifyInstance, deps: Deps): void {
  const db = deps.db.kysely;
  const page = (request: FastifyRequest, options: Omit<PageOptions, 'viewer'>): string => consolePage({ ...options, viewer: viewerOf(request) });
  /** Writes an audit entry for this request's admin through `q`. */
  const audit = (q: Executor, request: FastifyRequest, action: string, target?: string | null, detail?: Record<string, unknown>) =>
    recordAudit(q, { adminId: sessionOf(request).admin.adminId, action, target: target ?? null, detail: { via: 'console', ...detail }, address: request.ip, at: deps.clock.now() });
  const clientLimits = { rateLimitPerSecond: deps.config.rateLimitPerSecond, tokenPerClientPerMinute: deps.config.limits.tokenPerClientPerMinute };
  const clientNames = async (): Promise<Map<string, string>> => new Map((await listClients(db, clientLimits)).map((c) => [c.clientId, c.name]));

  // Overview: the conversion and delivery charts.
  scope.get<{ Querystring: { days?: string } }>('/admin', { schema: { hide: true } }, async (request, reply) => {
    const days = RANGES.find((d) => String(d) === request.query.days) ?? 14;
    const todayStart = Math.floor(deps.clock.now() / DAY_MS) * DAY_MS;
    const range = { from: todayStart - (days - 1) * DAY_MS, to: todayStart + DAY_MS };
    const [funnel, delivery] = await Promise.all([dailyStats(db, range), deliveryStats(db, range)]);
    await audit(db, request, 'stats.daily', null, { days });
    const from = dayOf(range.from);
    const today = dayOf(todayStart);
    const choice = RANGES.map((d) => `<option value="${d}"${d === days ? ' selected' : ''}>last ${d} days</option>`).join('');
    const body =
      `<form class="inline-form" method="get" action="/admin"><label for="days">Range<select id="days" name="days">${choice}</select></label><button type="submit">Show</button></form>` +
      `<h2>Conversion, ${from} to ${today} (UTC)</h2>` +
      conversionSection(
        funnel.map((f) => ({ day: f.day, channel: f.channel, started: f.started, proven: f.possessionProven, succeeded: f.succeeded })),
        daysBetween(from, today),
      ) +
      `<h2>Message delivery, ${from} to ${today} (UTC)</h2>${deliverySection(delivery)}`;
    return sendPage(reply, page(request, { title: 'Overview', section: 'overview', body, styles: ['uPlot.min.css'], scripts: ['uPlot.iife.min.js', 'charts.js'] }));
  });

  // Sessions: the filtered list, and one session's timeline.
  scope.get<{ Querystring: Record<string, string | undefined> }>('/admin/sessions', { schema: { hide: true } }, async (request, reply) => {
    const { filters, errors } = parseSessionFilters(request.query);
    const cursor = request.query.cursor;
    if (cursor !== undefined && !/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) errors.push('That page link is not one this console made.');
    const clients = (await listClients(db, clientLimits)).map((c) => ({ clientId: c.clientId, name: c.name }));
    const render = (rows: Parameters<typeof sessionsListBody>[2], older: string | null): string =>
      page(request, { title: 'Sessions', section: 'sessions', body: sessionsListBody(filters, errors, rows, clients, older) });
    if (errors.length > 0) return sendRefusal(request, reply, 'MALFORMED_REQUEST', errors.join(' '), render([], null));
    let result;
    try {
      result = await searchSessions(db, {
        correlationId: filters.correlationId,
        clientRequestId: filters.clientRequestId,
        maskedNumber: filters.number,
        clientId: filters.clientId,
        outcome: filters.outcome,
        from: filters.from ? Date.parse(`${filters.from}T00:00:00Z`) : undefined,
        to: filters.to ? Date.parse(`${filters.to}T00:00:00Z`) + DAY_MS : undefined,
        limit: SESSIONS_PER_PAGE,
        cursor,
      });
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      errors.push(error.message);
      return sendRefusal(request, reply, 'MALFORMED_REQUEST', error.message, render([], null));
    }
    await audit(db, request, 'sessions.search', null, { filters, found: result.sessions.length });
    const older = result.nextCursor
      ? `/admin/sessions?${new URLSearchParams({ ...(filters as Record<string, string>), cursor: result.nextCursor }).toString()}`
      : null;
    return sendPage(reply, render(result.sessions, older));
  });

  scope.get<{ Params: { correlationId: string } }>('/admin/sessions/:correlationId', { schema: { hide: true } }, async (request, reply) => {
    const { correlationId } = request.params;
    const timeline = /^[A-Za-z0-9._:-]{1,100}$/.test(correlationId) ? await sessionTimeline(db, correlationId) : null;
    if (!timeline) {
      const message = 'No session has this correlation id (or it has been purged).';
      const html = page(request, { title: 'Session not found', section: 'sessions', body: `<p>${message}</p><p><a href="/admin/sessions">← All sessions</a></p>` });
      return sendRefusal(request, reply, 'NOT_FOUND', message, html);
    }
    await audit(db, request, 'sessions.read', correlationId);
    const names = await clientNames();
    const body = timelineBody(timeline, names.get(timeline.session.clientId) ?? timeline.session.clientId);
    return sendPage(reply, page(request, { title: `Session ${correlationId}`, section: 'sessions', body }));
  });

  // Devices: looked up by exact number (posted, so the number stays out of URLs); revoke.
  const devicesPage = async (request: FastifyRequest, view: DevicesView): Promise<string> => {
    if (view.number) {
      const names = await clientNames();
      const devices = await devicesByNumber(db, view.number);
      view.devices = devices.map((d) => ({ ...d, clientName: names.get(d.clientId) ?? d.clientId }));
      view.maskedNumber = maskPhone(view.number);
    }
    return page(request, { title: 'Devices', section: 'devices', body: devicesBody(viewerOf(request), view) });
  };
  /** The number of a devices form as typed, and as E.164 when it is a possible number. */
  const numberOf = (request: FastifyRequest): { typed?: string; number?: string } => {
    const typed = text(bodyOf(request), 'number', 40);
    return { typed, number: typed ? (normalizePhone(typed) ?? undefined) : undefined };
  };
  const badNumber = 'Type the whole number with its country code, such as +12025550100: devices are found by exact number only.';

  scope.get('/admin/devices', { schema: { hide: true } }, async (request, reply) => sendPage(reply, await devicesPage(request, {})));

  scope.post('/admin/devices', { schema: { hide: true } }, async (request, reply) => {
    const { typed, number } = numberOf(request);
    if (!number) return sendRefusal(request, reply, 'MALFORMED_REQUEST', badNumber, await devicesPage(request, { typed, error: badNumber }));
    await audit(db, request, 'devices.list', maskPhone(number));
    return sendPage(reply, await devicesPage(request, { typed, number }));
  });

  scope.post('/admin/devices/revoke', { schema: { hide: true } }, async (request, reply) => {
    const { typed, number } = numberOf(request);
    const deviceId = text(bodyOf(request), 'deviceId', 100);
    if (!deviceId) return sendRefusal(request, reply, 'MALFORMED_REQUEST', "field 'deviceId' is missing", await devicesPage(request, { typed, number, error: 'No device was named.' }));
    const revoked = await db.transaction().execute(async (trx) => {
      const device = await revokeDevice(trx, deviceId, deps.clock.now(), webhookEnqueueDeps(deps));
      if (device) await audit(trx, request, 'devices.revoke', deviceId, { number: device.number });
      return device;
    });
    if (!revoked) {
      const message = 'No device has this id.';
      return sendRefusal(request, reply, 'NOT_FOUND', message, await devicesPage(request, { typed, number, error: message }));
    }
    return sendPage(reply, await devicesPage(request, { typed, number, message: `Revoked device ${deviceId}. Its next flow has to prove possession again.` }));
  });

  scope.post('/admin/devices/revoke-all', { schema: { hide: true } }, async (request, reply) => {
    const { typed, number } = numberOf(request);
    if (!number) return sendRefusal(request, reply, 'MALFORMED_REQUEST', badNumber, await devicesPage(request, { typed, error: badNumber }));
    const ids = await db.transaction().execute(async (trx) => {
      const revoked = await revokeDevicesOfNumber(trx, number, deps.clock.now(), webhookEnqueueDeps(deps));
      await audit(trx, request, 'devices.revoke-number', maskPhone(number), { revoked });
      return revoked;
    });
    const message = ids.length === 1 ? 'Revoked 1 device of this number.' : `Revoked ${ids.length} devices of this number.`;
    return sendPage(reply, await devicesPage(request, { typed, number, message }));
  });

  // Clients: list, create, rotate the secret, disable.
  const clientsPage = async (request: FastifyRequest, view: Omit<ClientsView, 'clients' | 'limits'>): Promise<string> => {
    const clients: ClientSummary[] = await listClients(db, clientLimits);
    return page(request, { title: 'Clients', section: 'clients', body: clientsBody(viewerOf(request), { ...view, clients, limits: clientLimits }) });
  };

  scope.get('/admin/clients', { schema: { hide: true } }, async (request, reply) => sendPage(reply, await clientsPage(request, {})));

  scope.post('/admin/clients', { schema: { hide: true } }, async (request, reply) => {
    const name = text(bodyOf(request), 'name', CLIENT_NAME_MAX);
    if (!name) {
      const message = `A client needs a name of 1 to ${CLIENT_NAME_MAX} characters.`;
      return sendRefusal(request, reply, 'MALFORMED_REQUEST', message, await clientsPage(request, { error: message }));
    }
    const created = await db.transaction().execute(async (trx) => {
      const client = await createClient(trx, deps, name);
      await audit(trx, request, 'clients.create', client.clientId, { name });
      return client;
    });
    return sendPage(reply, await clientsPage(request, { revealed: { ...created, what: `Client ${name} created.` } }));
  });

  scope.post<{ Params: { clientId: string } }>('/admin/clients/:clientId/rotate', { schema: { hide: true } }, async (request, reply) => {
    const { clientId } = request.params;
    const rotated = await db.transaction().execute(async (trx) => {
      const result = await rotateClientSecret(trx, deps, clientId);
      if (result) await audit(trx, request, 'clients.rotate-secret', clientId);
      return result;
    });
    if (!rotated) {
      const message = 'No client has this id.';
      return sendRefusal(request, reply, 'NOT_FOUND', message, await clientsPage(request, { error: message }));
    }
    return sendPage(reply, await clientsPage(request, { revealed: { ...rotated, what: 'The secret was rotated: the old one no longer works.' } }));
  });

  scope.post<{ Params: { clientId: string } }>('/admin/clients/:clientId/disable', { schema: { hide: true } }, async (request, reply) => {
    const { clientId } = request.params;
    const disabled = await db.transaction().execute(async (trx) => {
      const done = await disableClient(trx, clientId, deps.clock.now());
      if (done) await audit(trx, request, 'clients.disable', clientId);
      return done;
    });
    if (!disabled) {
      const message = 'No client has this id.';
      return sendRefusal(request, reply, 'NOT_FOUND', message, await clientsPage(request, { error: message }));
    }
    return sendPage(reply, await clientsPage(request, { message: `Client ${clientId} is disabled: its secret and tokens no longer work.` }));
  });

  // Messages: the newest, masked, never their text.
  scope.get('/admin/messages', { schema: { hide: true } }, async (request, reply) => {
    const [messages, names] = await Promise.all([recentMessages(db, { limit: MESSAGES_SHOWN }), clientNames()]);
    await audit(db, request, 'messages.list', null, { shown: messages.length });
    const rows = messages.map((m) => ({ ...m, clientName: m.clientId ? (names.get(m.clientId) ?? m.clientId) : '' }));
    return sendPage(reply, page(request, { title: 'Messages', section: 'messages', body: messagesBody(rows, MESSAGES_SHOWN) }));
  });
}
