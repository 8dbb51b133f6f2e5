/**
 * @module admin/console/pages/sessions
 * The sessions list (`GET /admin/sessions`, filtered by a GET form) and one session's timeline
 * (`GET /admin/sessions/:correlationId`): its facts, its state changes and refusals in order, and
 * the messages sent for it with their delivery status. Numbers are shown masked; no code or link.
 */
import { escapeHtml } from '../../../http/routes/html.js';
import { problem, shownTime, table } from '../layout.js';

/** What the list's form filters on; every field optional. */
export interface SessionFilters {
  correlationId?: string;
  clientRequestId?: string;
  /** The last 2 to 6 digits of the number. */
  numberEnding?: string;
  clientId?: string;
  outcome?: Outcome;
  /** `YYYY-MM-DD`, UTC, inclusive. */
  from?: string;
  /** `YYYY-MM-DD`, UTC, inclusive. */
  to?: string;
}

/** How a session ended, or that it has not yet. */
export const OUTCOMES = ['succeeded', 'failed', 'possession_required', 'in_progress'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface SessionListRow {
  correlationId: string;
  clientRequestId: string | null;
  clientName: string;
  possessionType: string;
  state: string;
  maskedNumber: string;
  createdAt: number;
  failureReason: string | null;
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
  const numberEnding = text('numberEnding');
  if (numberEnding !== undefined) {
    if (/^\d{2,6}$/.test(numberEnding)) filters.numberEnding = numberEnding;
    else errors.push('"Number ends with" takes the last 2 to 6 digits of the number.');
  }
  const clientId = text('clientId');
  if (clientId !== undefined) {
    if (ID.test(clientId)) filters.clientId = clientId;
    else errors.push('Choose a client from the list.');
  }
  const outcome = text('outcome');
  if (outcome !== undefined) {
    if ((OUTCOMES as readonly string[]).includes(outcome)) filters.outcome = outcome as Outcome;
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

const OUTCOME_LABELS: Record<Outcome, string> = {
  succeeded: 'Succeeded',
  failed: 'Failed',
  possession_required: 'Possession required',
  in_progress: 'In progress',
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
export function sessionsListBody(filters: SessionFilters, errors: string[], rows: SessionListRow[], clients: ClientChoice[], limit: number): string {
  const form =
    '<form class="filters" method="get" action="/admin/sessions" role="search" aria-label="Filter sessions">' +
    input('correlationId', 'Correlation id', filters.correlationId, ' maxlength="100" spellcheck="false"') +
    input('clientRequestId', 'Client request id', filters.clientRequestId, ' maxlength="200" spellcheck="false"') +
    input('numberEnding', 'Number ends with', filters.numberEnding, ' inputmode="numeric" maxlength="6" pattern="[0-9]{2,6}"') +
    select('clientId', 'Client', [['', 'Any client'], ...clients.map((c): [string, string] => [c.clientId, c.name])], filters.clientId) +
    select('outcome', 'Outcome', [['', 'Any outcome'], ...OUTCOMES.map((o): [string, string] => [o, OUTCOME_LABELS[o]])], filters.outcome) +
    input('from', 'From (UTC)', filters.from, ' type="date"') +
    input('to', 'To (UTC)', filters.to, ' type="date"') +
    '<button type="submit">Search</button> <a href="/admin/sessions">Clear</a></form>';
  const errorHtml = errors.map(problem).join('');
  const tableRows = rows.map((r) => [
    `<a href="/admin/sessions/${encodeURIComponent(r.correlationId)}"><code>${escapeHtml(r.correlationId)}</code></a>`,
    escapeHtml(shownTime(r.createdAt)),
    escapeHtml(r.clientName),
    escapeHtml(r.possessionType),
    `<code>${escapeHtml(r.maskedNumber)}</code>`,
    escapeHtml(r.state) + (r.failureReason ? ` (${escapeHtml(r.failureReason)})` : ''),
    r.clientRequestId ? `<code>${escapeHtml(r.clientRequestId)}</code>` : '',
  ]);
  const note = rows.length >= limit ? `<p class="muted">Showing the newest ${limit}; narrow the filters to see older sessions.</p>` : '';
  return (
    form +
    errorHtml +
    table('Sessions, newest first', ['Correlation id', 'Started', 'Client', 'Possession', 'Number', 'State', 'Client request id'], tableRows, 'No session matches these filters.') +
    note
  );
}

/** One session's facts for the timeline page's header. */
export interface SessionFacts {
  correlationId: string;
  clientName: string;
  clientRequestId: string | null;
  possessionType: string;
  state: string;
  maskedNumber: string;
  deviceId: string | null;
  deviceMatch: string | null;
  failureReason: string | null;
  createdAt: number;
  expiresAt: number;
  endedAt: number | null;
}

export interface TimelineEvent {
  at: number;
  /** `created`, a state-machine event, or `refused:<event>`. */
  type: string;
  fromState: string | null;
  toState: string | null;
  reason: string | null;
  channel: string | null;
  destination: string | null;
}

export interface TimelineMessage {
  sentAt: number;
  to: string;
  provider: string;
  status: string;
}

/** The timeline page below its heading. */
export function timelineBody(facts: SessionFacts, events: TimelineEvent[], messages: TimelineMessage[]): string {
  const fact = (term: string, value: string): string => `<dt>${term}</dt><dd>${value || '—'}</dd>`;
  const dl =
    '<dl class="facts">' +
    fact('Correlation id', `<code>${escapeHtml(facts.correlationId)}</code>`) +
    fact('Client', escapeHtml(facts.clientName)) +
    fact('Client request id', facts.clientRequestId ? `<code>${escapeHtml(facts.clientRequestId)}</code>` : '') +
    fact('Possession', escapeHtml(facts.possessionType)) +
    fact('State', escapeHtml(facts.state)) +
    fact('Number', `<code>${escapeHtml(facts.maskedNumber)}</code>`) +
    fact('Device', facts.deviceId ? `<code>${escapeHtml(facts.deviceId)}</code> (${escapeHtml(facts.deviceMatch ?? '')})` : '') +
    fact('Failure reason', escapeHtml(facts.failureReason ?? '')) +
    fact('Started', escapeHtml(shownTime(facts.createdAt))) +
    fact('Expires', escapeHtml(shownTime(facts.expiresAt))) +
    fact('Ended', escapeHtml(shownTime(facts.endedAt))) +
    '</dl>';
  const eventRows = events.map((e) => [
    escapeHtml(shownTime(e.at)),
    `<code>${escapeHtml(e.type)}</code>`,
    escapeHtml([e.fromState, e.toState].filter(Boolean).join(' → ')),
    escapeHtml(e.reason ?? ''),
    escapeHtml([e.channel, e.destination].filter(Boolean).join(' ')),
  ]);
  const messageRows = messages.map((m) => [escapeHtml(shownTime(m.sentAt)), `<code>${escapeHtml(m.to)}</code>`, escapeHtml(m.provider), escapeHtml(m.status)]);
  return (
    '<p><a href="/admin/sessions">← All sessions</a></p>' +
    dl +
    '<h2>Timeline</h2>' +
    table('Steps and state changes, oldest first', ['Time', 'Event', 'State', 'Reason', 'Channel'], eventRows, 'No events recorded for this session.') +
    '<h2>Messages</h2>' +
    table('Messages sent for this session', ['Sent', 'To', 'Provider', 'Status'], messageRows, 'No messages were sent for this session.')
  );
}
