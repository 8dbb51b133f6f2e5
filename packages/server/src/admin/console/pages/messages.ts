/**
 * @module admin/console/pages/messages
 * Recent messages with their delivery status: numbers masked, and never the text (it holds the
 * one-time code or the Instant Link).
 */
import { escapeHtml } from '../../../http/routes/html.js';
import { shownTime, table } from '../layout.js';

export interface MessageRow {
  sentAt: number;
  to: string;
  clientName: string;
  provider: string;
  status: string;
  correlationId: string | null;
}

export function messagesBody(rows: MessageRow[], limit: number): string {
  const tableRows = rows.map((m) => [
    escapeHtml(shownTime(m.sentAt)),
    `<code>${escapeHtml(m.to)}</code>`,
    escapeHtml(m.clientName),
    escapeHtml(m.provider),
    escapeHtml(m.status),
    m.correlationId ? `<a href="/admin/sessions/${encodeURIComponent(m.correlationId)}"><code>${escapeHtml(m.correlationId)}</code></a>` : '',
  ]);
  return (
    `<p class="muted">The newest ${limit} messages. Numbers are masked and message texts are never shown: they hold one-time codes and links.</p>` +
    table('Recent messages, newest first', ['Sent', 'To', 'Client', 'Provider', 'Status', 'Session'], tableRows, 'No messages yet.')
  );
}
