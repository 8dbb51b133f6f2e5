/**
 * @module landing
 * `GET /`: a small page for the person who opens the printed platform URL, linking to the operator
 * console, the OpenAPI document, the documentation and (in development) the SMS outbox. No script
 * at all; the CSP allows only the layout's own inline style, by its hash.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { escapeHtml, htmlPage } from './html.js';

/** The documentation files the page names when no `HANDSET_DOCS_URL` is configured. */
const DOC_FILES = ['deployment.md', 'operations.md', 'admin.md', 'console.md', 'errors.md'];

/** The CSP of a page whose only inline content is the shared layout's `<style>` element. */
export function pageCsp(html: string): string {
  const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`);
  return [
    "default-src 'none'",
    `style-src ${styles.join(' ') || "'none'"}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function landingHtml(deps: Deps): string {
  const links: string[] = [
    '<li><a href="/admin">Operator console</a>: sessions, devices, clients, messages and charts (sign in with an admin credential).</li>',
    '<li><a href="/openapi.json">OpenAPI document</a> of the server API.</li>',
  ];
  if (deps.config.docsUrl) {
    links.push(`<li><a href="${escapeHtml(deps.config.docsUrl)}">Documentation</a>.</li>`);
  } else {
    const files = DOC_FILES.map((f) => `<code>docs/${f}</code>`).join(', ');
    links.push(`<li>Documentation: ${files} in the Handset source (set <code>HANDSET_DOCS_URL</code> to link it here).</li>`);
  }
  if (!deps.config.production) {
    links.push('<li><a href="/dev/outbox">SMS outbox</a> (development): texted codes and Instant Links arrive here instead of on a phone.</li>');
  }
  const body =
    '<p>This is a Handset platform: it proves a person holds a phone number and binds that number to a key on their device.</p>' +
    `<ul>${links.join('')}</ul>` +
    `<p>Health: <a href="/healthz">/healthz</a>, readiness: <a href="/readyz">/readyz</a>.</p>`;
  return htmlPage('Handset platform', body);
}

export function landingRoute(app: FastifyInstance, deps: Deps): void {
  const html = landingHtml(deps);
  const csp = pageCsp(html);
  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', csp)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache')
      .send(html),
  );
}
