/**
 * @module soak/status-socket-client
 * A waiting desktop's status socket (client-protocol.md §5) for the load generator and the sockets
 * bench: opened with `ws` without per-message compression (a browser offers it, but the server
 * answers one short frame, and inflate state costs memory on both ends), it keeps only the first
 * text frame, which is all the protocol ever sends.
 */
import type { Agent } from 'node:http';
import WebSocket from 'ws';

export class WaitingDesktop {
  readonly socket: WebSocket;
  #first: string | null = null;
  #wake: (() => void) | null = null;
  #closed = false;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary || this.#first !== null) return;
      this.#first = data.toString('utf8');
      this.#wake?.();
    });
    socket.once('close', () => {
      this.#closed = true;
      this.#wake?.();
    });
  }

  /** Opens `/v1/client/status` on `origin` (http://…) for `authToken`; resolves once it is open. */
  static open(origin: string, authToken: string, options: { agent?: Agent; localAddress?: string; timeoutMs?: number } = {}): Promise<WaitingDesktop> {
    const url = `${origin.replace(/^http/, 'ws')}/v1/client/status?token=${encodeURIComponent(authToken)}`;
    const socket = new WebSocket(url, { perMessageDeflate: false, agent: options.agent, localAddress: options.localAddress, handshakeTimeout: options.timeoutMs ?? 30_000 });
    const desktop = new WaitingDesktop(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(desktop));
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => {
        res.resume();
        reject(new Error(`socket refused with HTTP ${res.statusCode}`));
      });
    });
  }

  /** The first text frame (already received or still to come), within `timeoutMs`. */
  next(timeoutMs = 5000): Promise<string> {
    if (this.#first !== null) return Promise.resolve(this.#first);
    if (this.#closed) return Promise.reject(new Error('the status socket closed without a message'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#wake = null;
        reject(new Error('no message on the status socket in time'));
      }, timeoutMs);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = null;
        if (this.#first !== null) resolve(this.#first);
        else reject(new Error('the status socket closed without a message'));
      };
    });
  }

  close(): void {
    this.socket.close();
  }
}
