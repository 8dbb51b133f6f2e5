/**
 * @module dev-outbox
 * `GET /dev/outbox`: the SMS messages the platform "sent", newest first, so a person can finish
 * flows without a phone. JSON for scripts and tests (`Accept: application/json`), HTML otherwise.
 * Not served in production.
 */
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { listOutbox } from '../../store/outbox-repo.js';
import { escapeHtml, htmlPage } from './html.js';

const LIMIT = 200;

function linkify(escaped: string): string {
  return escaped.replace(/(https?:\/\/[^\s<]+)/g, '<a href="$1">$1</a>');
}

export function devOutboxRoute(app: FastifyInstance, deps: Deps): void {
  app.get('/dev/outbox', async (request, reply) => {
    const rows = await listOutbox(deps.db.kysely, LIMIT);
    const messages = rows.map((r) => ({ to: r.to_e164, body: r.body, sentAt: new Date(r.sent_at).toISOString() }));
    if ((request.headers.accept ?? '').includes('application/json')) return { messages };
    const rowsHtml = messages
      .map((m) => `<tr><td>${escapeHtml(m.sentAt)}</td><td><code>${escapeHtml(m.to)}</code></td><td>${linkify(escapeHtml(m.body))}</td></tr>`)
      .join('');
    const body =
      '<p>Development outbox: messages are kept here instead of reaching phones. Open an Instant Link here to act as the phone.</p>' +
      (messages.length === 0 ? '<p><em>No messages yet.</em></p>' : `<table><tr><th>Sent</th><th>To</th><th>Message</th></tr>${rowsHtml}</table>`);
    return reply.type('text/html; charset=utf-8').send(htmlPage('SMS outbox', body, '<meta http-equiv="refresh" content="3">'));
  });
}
