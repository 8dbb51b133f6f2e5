/**
 * @module status-socket
 * The status WebSocket (`client-protocol.md` §5): `ws(s)://<endpoint>/v1/client/status?token=…`,
 * a text `ping` every 30 s answered by `pong`, an origin check on every message, and the first
 * status message `{next, error?}` ends the wait. Closing early or stalling is a reportable failure,
 * except a close for "going away" (1001) or "service restart" (1012): then the socket is opened
 * again (up to {@link MAX_RECONNECTS} times, with backoff), because the session outlives the
 * instance that held the socket.
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

/** Close codes after which the socket is opened again: 1001 going away, 1012 service restart. */
const RECONNECT_CODES: ReadonlySet<number> = new Set([1001, 1012]);
/** Reopen attempts after such closes, and the first delay (doubled each time: ~15 s in all). */
export const MAX_RECONNECTS = 6;
const RECONNECT_DELAY_MS = 250;

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
    let socket: WebSocket | null = null;
    let reconnects = 0;
    let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
    let awaitingPong = false;
    const timer = setInterval(() => {
      if (awaitingPong) return fail('Channel communication stalled');
      awaitingPong = true;
      if (socket?.readyState === WebSocket.OPEN) socket.send(SOCKET_PING);
    }, SOCKET_PING_INTERVAL_MS);
    const detach = (): void => {
      if (!socket) return;
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) socket.close();
    };
    const release = (): void => {
      clearInterval(timer);
      clearTimeout(reconnectTimer);
      detach();
      session.cleanups.delete(release);
    };
    const fail = (message: string): void => {
      release();
      reject(new AuthError(message, { reportable: true }));
    };
    const connect = (): void => {
      try {
        socket = new WebSocket(url);
      } catch (error) {
        fail(`Cannot open status channel: ${(error as Error).message}`);
        return;
      }
      awaitingPong = false;
      let opened = false;
      socket.onopen = () => {
        opened = true;
        reconnects = 0;
      };
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
      socket.onclose = (event: CloseEvent) => {
        // A server going away (shutdown, restart) keeps the session in its database: open the
        // socket again, where a load balancer sends it to a live instance, which re-reads it.
        // While reconnecting, a refused connection (the next instance is not up yet) retries too.
        const retry = RECONNECT_CODES.has(event.code) || (reconnects > 0 && !opened);
        if (retry && reconnects < MAX_RECONNECTS) {
          detach();
          reconnectTimer = setTimeout(connect, RECONNECT_DELAY_MS * 2 ** reconnects++);
          return;
        }
        fail(`Failed to receive secondary authentication with status code ${event.code}. ${closeReason(event.code)}`);
      };
    };
    session.cleanups.add(release);
    close = release;
    connect();
  });
  result.catch(() => undefined);
  return { result, close: () => close() };
}
