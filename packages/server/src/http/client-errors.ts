/**
 * @module client-errors
 * Requests Fastify never routes get the same `{code, message}` body as everything else: bytes
 * Node's HTTP parser refuses (bad chunking, duplicate or wrong Content-Length, CR or NUL in a
 * header, headers over 16 KB), CONNECT, and an `Expect` other than `100-continue`.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ConnectionError, FastifyInstance } from 'fastify';
import { respondMalformed, writeMalformed } from './error-answers.js';

/** Node's and llhttp's error codes → status and what to tell the client. */
const PARSER_ERRORS: Record<string, { status: number; message: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, message: 'the request headers are too large (at most 16 KB)' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, message: 'the request did not arrive in time' },
  HPE_INVALID_CHUNK_SIZE: { status: 400, message: 'the chunked body is malformed' },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 400, message: 'the chunked body is malformed' },
  HPE_UNEXPECTED_CONTENT_LENGTH: { status: 400, message: 'Content-Length is given more than once, or together with Transfer-Encoding' },
  HPE_INVALID_CONTENT_LENGTH: { status: 400, message: 'the Content-Length header is not a valid length' },
  HPE_INVALID_TRANSFER_ENCODING: { status: 400, message: 'the Transfer-Encoding header is not supported' },
  HPE_INVALID_HEADER_TOKEN: { status: 400, message: 'a header name or value contains characters that are not allowed' },
  HPE_INVALID_METHOD: { status: 400, message: 'the request method is not valid' },
  HPE_INVALID_URL: { status: 400, message: 'the request target is not a valid URL path' },
  HPE_INVALID_VERSION: { status: 400, message: 'the HTTP version is not supported (HTTP/1.1 is)' },
};
const NOT_HTTP = { status: 400, message: 'the request is not valid HTTP/1.1' };

/** Fastify's `clientErrorHandler`: the answer goes straight to the socket, which is then closed. */
export function answerClientError(this: FastifyInstance, error: ConnectionError, socket: Duplex): void {
  // A reset socket is gone: there is no one to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  this.log.debug({ err: { code: error.code, message: error.message } }, 'malformed HTTP refused');
  const { status, message } = (error.code && PARSER_ERRORS[error.code]) || NOT_HTTP;
  // Bytes pipelined after a complete request still being served: answer that request first (Node's
  // own handler also avoids writing into a response in flight; `_httpMessage` is its field for it).
  // A request whose own body is what failed can never complete: it is answered with the refusal.
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (inFlight && !inFlight.writableFinished && inFlight.req.complete) {
    inFlight.once('finish', () => writeMalformed(socket, status, message));
    inFlight.once('close', () => {
      if (!inFlight.writableFinished) socket.destroy();
    });
    return;
  }
  writeMalformed(socket, status, message);
}

/** Node-level events whose default answer has no body (Expect) or is none at all (CONNECT). */
export function answerUnroutedRequests(server: Server): void {
  server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    writeMalformed(socket, 405, 'CONNECT is not supported', { Allow: 'GET, HEAD, POST, OPTIONS' });
  });
  server.on('checkExpectation', (_request: IncomingMessage, response: ServerResponse) => {
    respondMalformed(response, 417, 'the Expect header is not supported (only 100-continue is)');
  });
}
