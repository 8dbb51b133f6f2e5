/**
 * @module http-util
 * Small node:http helpers for the demo back end: bounded JSON bodies, JSON and file replies, and
 * the security headers every page gets (a CSP that allows exactly the Handset origin the browser
 * SDK talks to, over https/http and wss/ws).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request the demo refuses, answered as `{error, message}` with `status`. */
export class DemoHttpError extends Error {
  override name = 'DemoHttpError';
  readonly status: number;
  readonly error: string;
  readonly headers: Record<string, string>;

  constructor(status: number, error: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.error = error;
    this.headers = headers;
  }
}

const MAX_BODY_BYTES = 16 * 1024;

/** Reads a JSON object body (at most 16 KB) or throws a 400/413/415 {@link DemoHttpError}. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new DemoHttpError(415, 'invalid_request', 'send the body as application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new DemoHttpError(413, 'invalid_request', 'the request body is too large');
    chunks.push(chunk as Buffer);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new DemoHttpError(400, 'invalid_request', 'the request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DemoHttpError(400, 'invalid_request', 'the request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/** Sends `value` as JSON, never cached. */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

/** Sends a {@link DemoHttpError}. */
export function sendError(res: ServerResponse, error: DemoHttpError): void {
  sendJson(res, error.status, { error: error.error, message: error.message }, error.headers);
}

/** Sends a file's bytes with its content type. */
export function sendBytes(res: ServerResponse, contentType: string, body: Buffer | string, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-cache', ...headers });
  res.end(body);
}

/**
 * Headers for every demo response. `Referrer-Policy: no-referrer` keeps the authId of the Instant
 * Link landing URL out of Referer headers.
 */
export function securityHeaders(handsetUrl: string): Record<string, string> {
  const handset = new URL(handsetUrl).origin;
  const socket = handset.replace(/^http/, 'ws');
  return {
    'content-security-policy': [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      `img-src 'self' ${handset}`,
      `connect-src 'self' ${handset} ${socket}`,
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}
