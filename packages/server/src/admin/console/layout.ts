/**
 * @module admin/console/layout
 * The one page layout of the operator console: a skip link, a header with the navigation and the
 * sign-out button, one `<main>` with the page's `<h1>`. No inline script or style (the CSP forbids
 * them): the stylesheet and scripts are files under /admin/assets/. Text goes through
 * `escapeHtml` (http/routes/html.ts); `body` must already be escaped.
 */
import { escapeHtml } from '../../http/routes/html.js';
import { assetUrl, type AssetName } from './assets.js';

/** The sections of the console, in navigation order. */
export const NAV = [
  { id: 'overview', href: '/admin', label: 'Overview' },
  { id: 'sessions', href: '/admin/sessions', label: 'Sessions' },
  { id: 'devices', href: '/admin/devices', label: 'Devices' },
  { id: 'clients', href: '/admin/clients', label: 'Clients' },
  { id: 'messages', href: '/admin/messages', label: 'Messages' },
] as const;

export type Section = (typeof NAV)[number]['id'];

/** Who is signed in, as a page needs it: a name to show and the CSRF token for its forms. */
export interface PageViewer {
  adminName: string;
  csrfToken: string;
}

export interface PageOptions {
  title: string;
  /** Escaped HTML of the page below its `<h1>`. */
  body: string;
  /** Undefined on the sign-in page: no navigation. */
  viewer?: PageViewer;
  section?: Section;
  styles?: AssetName[];
  scripts?: AssetName[];
}

/** The hidden field every state-changing form carries (checked by console-auth.ts). */
export function csrfField(viewer: PageViewer): string {
  return `<input type="hidden" name="_csrf" value="${escapeHtml(viewer.csrfToken)}">`;
}

function header(viewer: PageViewer, section: Section | undefined): string {
  const links = NAV.map((item) => {
    const current = item.id === section ? ' aria-current="page"' : '';
    return `<li><a href="${item.href}"${current}>${item.label}</a></li>`;
  }).join('');
  return (
    '<header class="topbar"><p class="brand"><a href="/admin">Handset console</a></p>' +
    `<nav aria-label="Console sections"><ul>${links}</ul></nav>` +
    `<form class="sign-out" method="post" action="/admin/sign-out">${csrfField(viewer)}` +
    `<span class="who">Signed in as ${escapeHtml(viewer.adminName)}</span> <button type="submit">Sign out</button></form></header>`
  );
}

/** A whole console page. */
export function consolePage(options: PageOptions): string {
  const styles = ['console.css' as AssetName, ...(options.styles ?? [])]
    .map((name) => `<link rel="stylesheet" href="${assetUrl(name)}">`)
    .join('');
  const scripts = ['console.js' as AssetName, ...(options.scripts ?? [])]
    .map((name) => `<script src="${assetUrl(name)}" defer></script>`)
    .join('');
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(options.title)} · Handset console</title>${styles}${scripts}</head><body>` +
    '<a class="skip-link" href="#main">Skip to content</a>' +
    (options.viewer ? header(options.viewer, options.section) : '<header class="topbar"><p class="brand">Handset console</p></header>') +
    `<main id="main" tabindex="-1"><h1>${escapeHtml(options.title)}</h1>${options.body}</main></body></html>`
  );
}

/** A status line after an action (`role="status"`, read out by screen readers). */
export function notice(text: string): string {
  return `<p class="notice" role="status">${escapeHtml(text)}</p>`;
}

/** An error line for a refused form (`role="alert"`). */
export function problem(text: string): string {
  return `<p class="problem" role="alert">${escapeHtml(text)}</p>`;
}

/** A table with a caption and column headers; `rows` cells must already be escaped. */
export function table(caption: string, headers: string[], rows: string[][], empty = 'Nothing to show.'): string {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  const head = headers.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('');
  const body = rows.map((cells) => `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  return `<div class="table-wrap"><table><caption>${escapeHtml(caption)}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

/** A time as the console shows it: ISO 8601 in UTC, to the second. */
export function shownTime(epochMs: number | null | undefined): string {
  if (epochMs === null || epochMs === undefined) return '';
  return `${new Date(epochMs).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
