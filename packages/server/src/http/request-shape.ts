/**
 * @module request-shape
 * Query parameters and headers are held to the same rule as body fields: each one once. Fastify
 * turns `?token=a&token=b` into an array, and Node keeps only the first of two `Authorization`
 * headers (and joins two `PA-Signature` headers with ", "), so a repeated value would otherwise
 * be read as something the client did not send. HTTP/1.1 also requires a Host header.
 */
import { CORS_ALLOWED_HEADERS } from '@handset/protocol';
import type { FastifyRequest } from 'fastify';

/** Headers the platform reads as a single value: the client protocol's own, Host, the WebSocket handshake's. */
const SINGLE_HEADERS = new Set([
  ...CORS_ALLOWED_HEADERS.map((name) => name.toLowerCase()),
  'host',
  'sec-websocket-key',
  'sec-websocket-version',
]);

/** Names are echoed in messages: printable and short. */
function shown(name: string): string {
  const printable = name.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 40 ? `${printable.slice(0, 40)}…` : printable;
}

/** Why the request's query or headers are malformed, or null when they are fine. */
export function requestShapeProblem(request: FastifyRequest): string | null {
  for (const [name, value] of Object.entries((request.query ?? {}) as Record<string, unknown>)) {
    if (Array.isArray(value)) return `query parameter '${shown(name)}' is given more than once`;
  }
  const seen = new Set<string>();
  const raw = request.raw.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!SINGLE_HEADERS.has(name)) continue;
    if (seen.has(name)) return `header '${name}' is given more than once`;
    seen.add(name);
  }
  if (request.raw.httpVersion === '1.1' && !seen.has('host')) return 'the Host header is missing';
  return null;
}
