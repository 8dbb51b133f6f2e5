/**
 * @module upgrade-requests
 * A request with `Connection: upgrade` reaches Fastify through Node's 'upgrade' event (the
 * WebSocket plugin routes it), detached from Node's HTTP parser: nothing reads its socket again,
 * so not even the client's hang-up is noticed. When it is answered as plain HTTP (any route but a
 * successful status socket handshake; also 404, 405, 414 and every other refusal), the socket is
 * closed once the answer is sent, and the answer says `Connection: close` where a hook runs. Its
 * body, if any, went to the upgraded stream and is lost, so such a request is refused rather
 * than read as empty.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { sendMalformed } from './error-answers.js';

/** Set by Node's HTTP parser on every request (not in @types/node): true when it came as an 'upgrade' event. */
function isUpgrade(raw: IncomingMessage): boolean {
  return (raw as IncomingMessage & { upgrade?: boolean }).upgrade === true;
}

export function closeUpgradeRequestsAfterAnswer(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (!isUpgrade(request.raw)) return;
    reply.header('connection', 'close');
    const { headers } = request;
    if (headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0) {
      return sendMalformed(reply, 400, 'a request asking for a protocol upgrade cannot carry a body');
    }
  });
  app.server.on('upgrade', (_request: IncomingMessage, socket: Duplex) => {
    // After every 'upgrade' listener has run: the plugin's has routed the request and given it a
    // response on this socket (`_httpMessage`, Node's field). A completed handshake never finishes
    // that response: the socket is then the WebSocket's.
    queueMicrotask(() => {
      const response = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
      const close = (): void => void socket.end(() => socket.destroy());
      if (!response) return;
      if (response.writableFinished) close();
      else response.once('finish', close);
    });
  });
}
