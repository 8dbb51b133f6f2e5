/**
 * @module status-socket
 * The status WebSocket (`client-protocol.md` §5): `ws(s)://<endpoint>/v1/client/status?token=…`,
 * a text `ping` every 30 s answered by `pong`, an origin check on every message, and the first
 * status message `{next, error?}` ends the wait. Closing early or stalling is a reportable failure.
 */
import { ClientPath, SOCKET_PING, SOCKET_PING_INTERVAL_MS, SOCKET_PONG } from '@handset/protocol/browser';
import { AuthError } from './errors.js';
import type { Session } from './session.js';

const CLOSE_REASONS: Readonly<Record<number, string>> = {
  1000: 'Normal closure',
  1001: 'Going away',
  1002: 'Protocol error',
  1003: 'Unsupported data',
  1005: 'No status received',
  1006: 'Abnormal closure',
  1007: 'Invalid frame payload data',
  1008: 'Policy violation',
  1009: 'Message too big',
  1010: 'Missing extension',
  1011: 'Internal error',
  1015: 'TLS handshake failure',
};

/** The text for a WebSocket close code, as in the failure message. */
export function closeReason(code: number): string {
  return CLOSE_REASONS[code] ?? 'Unknown reason';
}

/** `http(s)://host…` → `ws(s)://host…`. */
export function socketBase(endpoint: string): string {
  return endpoint.replace(/^http/i, 'ws');
}

/** An open status socket: its first status message, and a way to close it early. */
export interface StatusChannel {
  /** Resolves with the `next` of the first status message. */
  result: Promise<unknown>;
  /** Closes the socket and stops the pings (idempotent). */
  close(): void;
}

/**
 * Opens the socket. Registers its cleanup in `session.cleanups`, so ending or cancelling the flow
 * closes it and stops the pings.
 */
export function openStatusChannel(session: Session & { token: string }): StatusChannel {
  let close: () => void = () => undefined;
  const result = new Promise<unknown>((resolve, reject) => {
    const url = `${socketBase(session.endpoint)}${ClientPath.STATUS_SOCKET}?token=${encodeURIComponent(session.token)}`;
    const parsed = new URL(url);
    const expectedOrigin = `${parsed.protocol}//${parsed.host}`;
    let socket: WebSocket;
    try {
      socket = new WebSocket(url);
    } catch (error) {
      reject(new AuthError(`Cannot open status channel: ${(error as Error).message}`, { reportable: true }));
      return;
    }
    let awaitingPong = false;
    const timer = setInterval(() => {
      if (awaitingPong) return fail('Channel communication stalled');
      awaitingPong = true;
      if (socket.readyState === WebSocket.OPEN) socket.send(SOCKET_PING);
    }, SOCKET_PING_INTERVAL_MS);
    const release = (): void => {
      clearInterval(timer);
      socket.onmessage = socket.onclose = socket.onerror = null;
      if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) socket.close();
      session.cleanups.delete(release);
    };
    const fail = (message: string): void => {
      release();
      reject(new AuthError(message, { reportable: true }));
    };
    session.cleanups.add(release);
    close = release;
    socket.onmessage = (event: MessageEvent) => {
      if (event.origin !== expectedOrigin) return fail('Unexpected origin');
      if (typeof event.data !== 'string') return fail('Unexpected binary message on status channel');
      if (event.data === SOCKET_PONG) {
        awaitingPong = false;
        return;
      }
      let message: unknown;
      try {
        message = JSON.parse(event.data);
      } catch {
        return fail('Failed to parse status message');
      }
      if (typeof message !== 'object' || message === null) return fail('Failed to parse status message');
      release();
      const { next, error } = message as { next?: unknown; error?: { code?: unknown; message?: unknown } };
      if (error) {
        reject(
          new AuthError(typeof error.message === 'string' ? error.message : 'Authentication failed', {
            code: typeof error.code === 'number' ? error.code : 0,
            nextStep: typeof next === 'string' && next !== '' ? next : undefined,
          }),
        );
      } else {
        resolve(next);
      }
    };
    socket.onclose = (event: CloseEvent) =>
      fail(`Failed to receive secondary authentication with status code ${event.code}. ${closeReason(event.code)}`);
  });
  result.catch(() => undefined);
  return { result, close: () => close() };
}
