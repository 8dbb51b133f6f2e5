/**
 * @module error-answers
 * `{code: 8001, message}` answers for requests malformed below the level of a field (framing,
 * method, size, handshake), with the HTTP status that says what is wrong: 400, 405, 408, 414,
 * 417, 426 or 431. Fastify replies for what reaches the router; raw sockets and bare Node
 * responses for what never does.
 */
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError } from '@handset/protocol';
import type { FastifyReply } from 'fastify';

type Headers = Record<string, string>;

function bodyText(message: string): string {
  return JSON.stringify({ code: ApiError.MALFORMED_REQUEST.code, message });
}

export function sendMalformed(reply: FastifyReply, status: number, message: string, headers: Headers = {}): FastifyReply {
  return reply.code(status).headers(headers).send({ code: ApiError.MALFORMED_REQUEST.code, message });
}

/** A whole HTTP/1.1 answer that closes the connection. */
export function malformedResponseText(status: number, message: string, headers: Headers = {}): string {
  const body = bodyText(message);
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Writes the answer to a socket no HTTP machinery owns any more, then closes it. */
export function writeMalformed(socket: Duplex, status: number, message: string, headers?: Headers): void {
  // Node takes its own error listener off upgraded and CONNECT sockets; a reset must not crash us.
  socket.on('error', () => socket.destroy());
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // Destroy once flushed: ending alone would leave a half-open socket to a client that never closes.
  socket.end(malformedResponseText(status, message, headers), () => socket.destroy());
}

/** The same answer on a bare Node response (events Fastify does not route, e.g. checkExpectation). */
export function respondMalformed(res: ServerResponse, status: number, message: string): void {
  const body = bodyText(message);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
}
