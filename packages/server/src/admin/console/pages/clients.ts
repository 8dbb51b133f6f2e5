/**
 * @module admin/console/pages/clients
 * Integrator clients: the list, a form to create one, and per client a secret rotation and a
 * disable button. A new secret is shown once, on the page that answers the form, and never again
 * (the database keeps only its hash).
 */
import { escapeHtml } from '../../../http/routes/html.js';
import type { ClientRateLimits } from '../../admin-queries.js';
import { csrfField, notice, problem, shownTime, table, type PageViewer } from '../layout.js';

export interface ClientRow {
  clientId: string;
  name: string;
  createdAt: number;
  disabledAt: number | null;
}

export interface ClientsView {
  clients: ClientRow[];
  /** The request budgets every client gets (configuration; there are no per-client limits). */
  limits: ClientRateLimits;
  /** Credentials to show once, after a create or a rotation. */
  revealed?: { clientId: string; clientSecret: string; what: string };
  message?: string;
  error?: string;
}

export const CLIENT_NAME_MAX = 100;

function rowActions(viewer: PageViewer, c: ClientRow): string {
  if (c.disabledAt !== null) return `Disabled ${escapeHtml(shownTime(c.disabledAt))}`;
  const id = escapeHtml(c.clientId);
  const path = `/admin/clients/${encodeURIComponent(c.clientId)}`;
  return (
    `<form method="post" action="${path}/rotate" data-confirm="Rotate the secret of ${escapeHtml(c.name)}? The old secret stops working at once.">${csrfField(viewer)}` +
    `<button type="submit" class="secondary" aria-label="Rotate secret of client ${id}">Rotate secret</button></form> ` +
    `<form method="post" action="${path}/disable" data-confirm="Disable ${escapeHtml(c.name)}? Its secret and tokens stop working for good.">${csrfField(viewer)}` +
    `<button type="submit" class="danger" aria-label="Disable client ${id}">Disable</button></form>`
  );
}

/** The clients page below its heading. */
export function clientsBody(viewer: PageViewer, view: ClientsView): string {
  let html = '';
  if (view.message) html += notice(view.message);
  if (view.error) html += problem(view.error);
  if (view.revealed) {
    html +=
      `<div class="secret" role="status"><p><strong>${escapeHtml(view.revealed.what)}</strong> Copy the secret now: it is shown only this once.</p>` +
      `<dl class="facts"><dt>Client id</dt><dd><code>${escapeHtml(view.revealed.clientId)}</code></dd>` +
      `<dt>Client secret</dt><dd><code data-secret>${escapeHtml(view.revealed.clientSecret)}</code></dd></dl></div>`;
  }
  const rows = view.clients.map((c) => [
    `<code>${escapeHtml(c.clientId)}</code>`,
    escapeHtml(c.name),
    escapeHtml(shownTime(c.createdAt)),
    rowActions(viewer, c),
  ]);
  const perSecond = view.limits.rateLimitPerSecond > 0 ? `${view.limits.rateLimitPerSecond} requests per second on /v3/*` : 'no limit on /v3/*';
  const tokens = view.limits.tokenPerClientPerMinute > 0 ? `${view.limits.tokenPerClientPerMinute} token requests per minute` : 'no limit on /token';
  return (
    html +
    `<p class="muted">Every client gets ${escapeHtml(perSecond)} and ${escapeHtml(tokens)} (set in the platform's configuration). Handset has no webhooks: clients poll <code>/v3/unify-status</code>.</p>` +
    table('Clients, oldest first', ['Client id', 'Name', 'Created', 'Actions'], rows, 'No clients yet.') +
    '<h2>New client</h2>' +
    `<form class="inline-form" method="post" action="/admin/clients">${csrfField(viewer)}` +
    `<label for="client-name">Name<input id="client-name" name="name" required maxlength="${CLIENT_NAME_MAX}" autocomplete="off"></label>` +
    '<button type="submit">Create client</button></form>'
  );
}
