/**
 * @module admin/console/pages/sessions
 * The sessions list (`GET /admin/sessions`, filtered by a GET form) and one session's timeline
 * (`GET /admin/sessions/:correlationId`): its facts, its state changes and refusals in order, and
 * the messages sent for it with their delivery status. Numbers are shown masked; no code or link.
 */
import { escapeHtml } from '../../../http/routes/html.js';
import { SESSION_OUTCOMES, type SessionOutcome, type SessionSummary, type SessionTimeline } from '../../admin-queries.js';
import { problem, shownTime, table } from '../layout.js';

/** What the list's form filters on; every field optional. */
export interface SessionFilters {
  correlationId?: string;
  clientRequestId?: string;
  /** The last four digits of the number, or the number as the console shows it (`+1******0100`). */
  number?: string;
  clientId?: string;
  outcome?: SessionOutcome;
  /** `YYYY-MM-DD`, UTC, inclusive. */
  from?: string;
  /** `YYYY-MM-DD`, UTC, inclusive. */
  to?: string;
}

export interface ClientChoice {
  clientId: string;
  name: string;
}

const ID = /^[A-Za-z0-9._:-]{1,100}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The filters of a query, and what is wrong with it (shown above the form). */
export function parseSessionFilters(query: Record<string, unknown>): { filters: SessionFilters; errors: string[] } {
  const filters: SessionFilters = {};
  const errors: string[] = [];
  const text = (name: string): string | undefined => {
    const value = query[name];
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  const correlationId = text('correlationId');
  if (correlationId !== undefined) {
    if (ID.test(correlationId)) filters.correlationId = correlationId;
    else errors.push('The correlation id may hold only letters, digits and . _ : - (at most 100).');
  }
  const clientRequestId = text('clientRequestId');
  if (clientRequestId !== undefined) {
    if (clientRequestId.length <= 200) filters.clientRequestId = clientRequestId;
    else errors.push('The client request id is at most 200 characters.');
  }
  const number = text('number');
  if (number !== undefined) {
    if (/^[0-9]{4}$/.test(number) || /^\+[0-9]{1,3}\*{1,14}[0-9]{4}$/.test(number)) filters.number = number;
    else errors.push('"Number" takes the last four digits of the number, or the number as shown masked here (+1******0100).');
  }
  const clientId = text('clientId');
  if (clientId !== undefined) {
    if (ID.test(clientId)) filters.clientId = clientId;
    else errors.push('Choose a client from the list.');
  }
  const outcome = text('outcome');
  if (outcome !== undefined) {
    if ((SESSION_OUTCOMES as readonly string[]).includes(outcome)) filters.outcome = outcome as SessionOutcome;
    else errors.push('Choose an outcome from the list.');
  }
  for (const name of ['from', 'to'] as const) {
    const day = text(name);
    if (day === undefined) continue;
    if (DAY.test(day) && !Number.isNaN(Date.parse(`${day}T00:00:00Z`))) filters[name] = day;
    else errors.push(`The "${name}" date must be a date (YYYY-MM-DD).`);
  }
  if (filters.from && filters.to && filters.from > filters.to) errors.push('"From" must not be after "to".');
  return { filters, errors };
}

const OUTCOME_LABELS: Record<SessionOutcome, string> = {
  pending: 'In progress',
  succeeded: 'Succeeded',
  failed: 'Failed',
  possession_required: 'Possession required',
};

function input(name: keyof SessionFilters, label: string, value: string | undefined, extra = ''): string {
  return `<label for="f-${name}">${label}<input id="f-${name}" name="${name}" value="${escapeHtml(value ?? '')}"${extra}></label>`;
}

function select(name: string, label: string, options: Array<[string, string]>, chosen: string | undefined): string {
  const items = options
    .map(([value, text]) => `<option value="${escapeHtml(value)}"${value === (chosen ?? '') ? ' selected' : ''}>${escapeHtml(text)}</option>`)
    .join('');
  return `<label for="f-${name}">${label}<select id="f-${name}" name="${name}">${items}</select></label>`;
}

/** The filter form and the matching sessions. */
export function sessionsListBody(
  filters: SessionFilters,
  errors: string[],
  rows: SessionSummary[],
  clients: ClientChoice[],
  olderHref: string | null,
): string {
  const names = new Map(clients.map((c) => [c.clientId, c.name]));
  const form =
    '<form class="filters" method="get" action="/admin/sessions" role="search" aria-label="Filter sessions">' +
    input('correlationId', 'Correlation id', filters.correlationId, ' maxlength="100" spellcheck="false"') +
    input('clientRequestId', 'Client request id', filters.clientRequestId, ' maxlength="200" spellcheck="false"') +
    input('number', 'Number (last 4 digits)', filters.number, ' maxlength="20" spellcheck="false"') +
    select('clientId', 'Client', [['', 'Any client'], ...clients.map((c): [string, string] => [c.clientId, c.name])], filters.clientId) +
    select('outcome', 'Outcome', [['', 'Any outcome'], ...SESSION_OUTCOMES.map((o): [string, string] => [o, OUTCOME_LABELS[o]])], filters.outcome) +
    input('from', 'From (UTC)', filters.from, ' type="date"') +
    input('to', 'To (UTC)', filters.to, ' type="date"') +
    '<button type="submit">Search</button> <a href="/admin/sessions">Clear</a></form>';
  const errorHtml = errors.map(problem).join('');
  const tableRows = rows.map((r) => [
    `<a href="/admin/sessions/${encodeURIComponent(r.correlationId)}"><code>${escapeHtml(r.correlationId)}</code></a>`,
    escapeHtml(shownTime(r.createdAt)),
    escapeHtml(names.get(r.clientId) ?? r.clientId),
    escapeHtml(r.possessionType),
    r.number ? `<code>${escapeHtml(r.number)}</code>` : '',
    escapeHtml(r.state) + (r.failureReason ? ` <span class="muted">(${escapeHtml(r.failureReason)})</span>` : ''),
    r.clientRequestId ? `<code>${escapeHtml(r.clientRequestId)}</code>` : '',
  ]);
  const note = olderHref ? `<p><a href="${escapeHtml(olderHref)}">Older sessions →</a></p>` : '';
  return (
    form +
    errorHtml +
    table('Sessions, newest first', ['Correlation id', 'Started', 'Client', 'Possession', 'Number', 'State', 'Client request id'], tableRows, 'No session matches these filters.') +
    note
  );
}

/** The timeline page below its heading: the session's facts, then every entry in order. */
export function timelineBody(timeline: SessionTimeline, clientName: string): string {
  const f = timeline.session;
  const fact = (term: string, value: string): string => `<dt>${term}</dt><dd>${value || '—'}</dd>`;
  const dl =
    '<dl class="facts">' +
    fact('Correlation id', `<code>${escapeHtml(f.correlationId)}</code>`) +
    fact('Client', escapeHtml(clientName)) +
    fact('Client request id', f.clientRequestId ? `<code>${escapeHtml(f.clientRequestId)}</code>` : '') +
    fact('Possession', escapeHtml(f.possessionType)) +
    fact('State', `${escapeHtml(f.state)} (${escapeHtml(OUTCOME_LABELS[f.outcome])})`) +
    fact('Number', f.number ? `<code>${escapeHtml(f.number)}</code>` : '') +
    fact('Device', f.deviceId ? `<code>${escapeHtml(f.deviceId)}</code> (${escapeHtml(f.deviceMatch ?? '')})` : '') +
    fact('Failure reason', f.failureReason ? `${escapeHtml(f.failureReason)}: ${escapeHtml(f.failureReasonText ?? '')}` : '') +
    fact('Codes tried / resent', `${f.otpAttempts} / ${f.otpResends}`) +
    fact('Links resent', String(f.linkResends)) +
    fact('Started', escapeHtml(shownTime(f.createdAt))) +
    fact('Expires', escapeHtml(shownTime(f.expiresAt))) +
    fact('Ended', escapeHtml(shownTime(f.endedAt))) +
    '</dl>';
  const rows = timeline.events.map((e) => [
    escapeHtml(shownTime(e.at)),
    `<code>${escapeHtml(e.type)}</code>`,
    escapeHtml([e.fromState, e.toState].filter(Boolean).join(' → ')),
    escapeHtml([e.reason, e.reasonText].filter(Boolean).join(': ')),
    escapeHtml([e.channel, e.destination].filter(Boolean).join(' to ')),
    escapeHtml([e.provider, e.status].filter(Boolean).join(': ')),
  ]);
  return (
    '<p><a href="/admin/sessions">← All sessions</a></p>' +
    dl +
    '<h2>Timeline</h2>' +
    table('What happened, oldest first', ['Time', 'Event', 'State', 'Reason', 'Channel', 'Delivery'], rows, 'Nothing recorded for this session.')
  );
}
