/**
 * @module admin/console/security-headers
 * The headers every console answer carries: a strict Content Security Policy (no inline script or
 * style anywhere in the console: scripts and styles are files under /admin/assets/), no framing,
 * no referrer to other sites, no MIME sniffing, and no caching of pages (they show customer data).
 */
import type { FastifyReply } from 'fastify';

/**
 * The console's CSP. `connect-src 'none'`: the pages fetch nothing (chart data is in a JSON block);
 * `form-action 'self'`: forms post only to the platform; `frame-ancestors 'none'`: no clickjacking.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Sets the console's security headers (the assets replace `cache-control` with their own). */
export function setConsoleHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', CONSOLE_CSP);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('x-frame-options', 'DENY');
  // same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on the console's own form posts.
  reply.header('referrer-policy', 'same-origin');
  reply.header('cross-origin-opener-policy', 'same-origin');
  reply.header('cache-control', 'no-store');
}
