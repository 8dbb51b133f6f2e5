/**
 * @module admin/console/pages/devices
 * Prove Keys by number: the number is typed exactly (never a listing of every number) and posted,
 * so it stays out of URLs, histories and proxy logs. Each live key can be revoked, or all of the
 * number's keys at once; the next flow on that device then has to prove possession again.
 */
import { escapeHtml } from '../../../http/routes/html.js';
import { csrfField, problem, notice, shownTime, table, type PageViewer } from '../layout.js';

export interface DeviceRow {
  deviceId: string;
  clientName: string;
  createdAt: number;
  boundAt: number | null;
  lastUsedAt: number;
  revokedAt: number | null;
}

export interface DevicesView {
  /** The number as typed (shown back in the form). */
  typed?: string;
  /** The number looked up, E.164 (hidden field of the revoke forms), when it was valid. */
  number?: string;
  maskedNumber?: string;
  devices?: DeviceRow[];
  message?: string;
  error?: string;
}

function lookupForm(viewer: PageViewer, typed: string | undefined): string {
  return (
    `<form class="inline-form" method="post" action="/admin/devices" role="search" aria-label="Find devices by number">${csrfField(viewer)}` +
    `<label for="number">Phone number (exact, with country code)<input id="number" name="number" type="tel" autocomplete="off" required maxlength="40" value="${escapeHtml(typed ?? '')}" placeholder="+12025550100"></label>` +
    '<button type="submit">Find devices</button></form>'
  );
}

/** The devices page below its heading. */
export function devicesBody(viewer: PageViewer, view: DevicesView): string {
  let html = lookupForm(viewer, view.typed);
  if (view.message) html += notice(view.message);
  if (view.error) html += problem(view.error);
  if (!view.devices || !view.number) {
    return `${html}<p class="muted">Devices are only ever listed for one number at a time.</p>`;
  }
  const numberField = `<input type="hidden" name="number" value="${escapeHtml(view.number)}">`;
  const rows = view.devices.map((d) => [
    `<code>${escapeHtml(d.deviceId)}</code>`,
    escapeHtml(d.clientName),
    escapeHtml(shownTime(d.createdAt)),
    escapeHtml(shownTime(d.boundAt)),
    escapeHtml(shownTime(d.lastUsedAt)),
    d.revokedAt !== null
      ? `Revoked ${escapeHtml(shownTime(d.revokedAt))}`
      : `<form method="post" action="/admin/devices/revoke" data-confirm="Revoke this Prove Key? Its next flow will have to prove possession again.">${csrfField(viewer)}${numberField}` +
        `<input type="hidden" name="deviceId" value="${escapeHtml(d.deviceId)}">` +
        `<button type="submit" class="danger" aria-label="Revoke device ${escapeHtml(d.deviceId)}">Revoke</button></form>`,
  ]);
  const live = view.devices.filter((d) => d.revokedAt === null).length;
  const revokeAll =
    live > 0
      ? `<form method="post" action="/admin/devices/revoke-all" data-confirm="Revoke all ${live} live Prove Keys of this number?">${csrfField(viewer)}${numberField}` +
        `<button type="submit" class="danger">Revoke all ${live} live keys of this number</button></form>`
      : '';
  return (
    html +
    `<h2>Devices of <code>${escapeHtml(view.maskedNumber ?? '')}</code></h2>` +
    table('Prove Keys bound to this number, newest first', ['Device id', 'Client', 'Registered', 'Bound', 'Last used', 'Status'], rows, 'No Prove Key is bound to this number.') +
    revokeAll
  );
}
