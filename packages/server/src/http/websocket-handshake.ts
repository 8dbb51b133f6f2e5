/**
 * @module websocket-handshake
 * The status socket's handshake is checked before the WebSocket library sees it, so a refusal is
 * a `{code, message}` answer like any other (the library writes bare text/html). A plain GET is
 * 426 Upgrade Required; a malformed handshake is 400. What the library still refuses on its own
 * (a malformed Sec-WebSocket-Protocol list) goes through its 'wsClientError' event, answered the
 * same way.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocketServer } from 'ws';
import { sendMalformed, writeMalformed } from './error-answers.js';

/** The form the `ws` library accepts: 16 random bytes in base64. */
const KEY = /^[+/0-9A-Za-z]{22}==$/;

/** An onRequest hook for a WebSocket route; answers and returns the reply when the handshake is not one. */
export async function refuseBadHandshake(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  // HEAD cannot be upgraded either (the plugin would answer it with an empty 404).
  if (!request.ws || request.method !== 'GET') {
    return sendMalformed(reply, 426, 'this endpoint needs a WebSocket upgrade', { upgrade: 'websocket', connection: 'Upgrade' });
  }
  const { headers } = request;
  if (headers.upgrade?.toLowerCase() !== 'websocket') return sendMalformed(reply, 400, 'the Upgrade header must be websocket');
  if (!KEY.test(headers['sec-websocket-key'] ?? '')) return sendMalformed(reply, 400, 'the Sec-WebSocket-Key header is missing or invalid');
  const version = headers['sec-websocket-version'];
  if (version !== '13' && version !== '8') {
    return sendMalformed(reply, 400, 'the Sec-WebSocket-Version header must be 13', { 'sec-websocket-version': '13' });
  }
  return undefined;
}

/** Answers, with `{code, message}`, every handshake the library refuses after the checks above. */
export function answerRefusedHandshakes(server: WebSocketServer): void {
  server.on('wsClientError', (error, socket) => {
    writeMalformed(socket, 400, `WebSocket handshake refused: ${error.message}`);
  });
}
