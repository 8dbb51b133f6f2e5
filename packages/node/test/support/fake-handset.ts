/**
 * @module fake-handset
 * A small node:http server that speaks the Handset server API over a real socket, for the
 * conditions the real server cannot produce on demand (429 with `Retry-After`, 5xx, hangs, broken
 * connections, malformed answers). By default it behaves like a healthy server: `/token` checks the
 * form credentials and issues opaque tokens, `/v3/*` checks the Bearer token. A test overrides any
 * answer with `handler`. Every request is recorded.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the fake saw it. */
export interface RecordedRequest {
  method: string;
  /** Path without the query. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * What the fake answers: a status with a JSON `body` or a `raw` text; `stall` sends the headers
 * and half the body, then nothing more; `hang` never answers; `destroy` drops the connection.
 */
export type FakeReply =
  | { status: number; headers?: Record<string, string>; body?: unknown; raw?: string; stall?: boolean }
  | { hang: true }
  | { destroy: true };

/** Overrides the default answer; return `undefined` to keep it. `n` counts requests to this path from 0. */
export type FakeHandler = (req: RecordedRequest, n: number) => FakeReply | undefined;

export interface FakeHandset {
  /** `http://127.0.0.1:PORT` plus the prefix, to pass as `serverURL`. */
  url: string;
  clientId: string;
  clientSecret: string;
  requests: RecordedRequest[];
  /** Requests to one path. */
  requestsTo(path: string): RecordedRequest[];
  /** Tokens issued so far, in order. */
  tokens: string[];
  /** Forgets recorded requests, per-path counters and the handler (issued tokens stay valid). */
  reset(): void;
  /** Makes `/v3/*` refuse every token issued so far (as after a server restart with new keys). */
  revokeAllTokens(): void;
  handler: FakeHandler | undefined;
  close(): Promise<void>;
}

export interface FakeOptions {
  /** API path prefix (`/token` stays at the root). */
  prefix?: string;
  /** `expires_in` of issued tokens. Default 3600. */
  expiresIn?: number;
  handler?: FakeHandler;
}

export const FAKE_CLIENT_ID = 'fake-client';
export const FAKE_CLIENT_SECRET = 'fake-secret-Zq8vX2';

/** Starts the fake on 127.0.0.1 with a free port. */
export async function startFakeHandset(options: FakeOptions = {}): Promise<FakeHandset> {
  const prefix = options.prefix ?? '';
  const requests: RecordedRequest[] = [];
  const counts = new Map<string, number>();
  const tokens: string[] = [];
  const valid = new Set<string>();

  const defaultReply = (req: RecordedRequest): FakeReply => {
    if (req.method === 'POST' && req.path === '/token') {
      const form = new URLSearchParams(req.body);
      if (
        form.get('grant_type') !== 'client_credentials' ||
        form.get('client_id') !== FAKE_CLIENT_ID ||
        form.get('client_secret') !== FAKE_CLIENT_SECRET
      ) {
        return { status: 401, body: { code: 8002, message: 'invalid client credentials' } };
      }
      const token = `fake-token-${tokens.length + 1}-${Math.random().toString(36).slice(2)}`;
      tokens.push(token);
      valid.add(token);
      return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: options.expiresIn ?? 3600 } };
    }
    if (req.method === 'POST' && req.path.startsWith(`${prefix}/v3/`)) {
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (bearer === undefined || !valid.has(bearer)) return { status: 401, body: { code: 8002, message: 'not authorized' } };
      switch (req.path.slice(prefix.length)) {
        case '/v3/unify':
          return { status: 200, body: { success: 'pending', correlationId: 'corr-1', authToken: 'a.b.c' } };
        case '/v3/unify-status':
          return {
            status: 200,
            body: {
              success: 'possession_required',
              phoneNumber: '2001004018',
              evaluation: {
                authentication: { result: 'fail', failureReasons: { '9101': "Phone number doesn't match Prove Key. Rebind required." } },
                risk: { result: 'pass' },
              },
            },
          };
        case '/v3/unify-bind':
          return { status: 200, body: { success: 'true', phoneNumber: '2001004018', deviceId: 'dev-1', proveId: 'prove-1' } };
        case '/v3/device/revoke':
          return { status: 200, body: { success: true } };
        default:
          return { status: 404, body: { code: 8001, message: 'no such endpoint' } };
      }
    }
    return { status: 404, body: { code: 8001, message: 'no such endpoint' } };
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: (req.url ?? '').split('?')[0] ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      const n = counts.get(recorded.path) ?? 0;
      counts.set(recorded.path, n + 1);
      const reply = fake.handler?.(recorded, n) ?? defaultReply(recorded);
      if ('hang' in reply) return;
      if ('destroy' in reply) {
        req.socket.destroy();
        return;
      }
      const isRaw = reply.raw !== undefined;
      const payload = isRaw ? (reply.raw ?? '') : reply.body === undefined ? '' : JSON.stringify(reply.body);
      res.writeHead(reply.status, {
        ...(isRaw || reply.body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
        ...reply.headers,
      });
      if (reply.stall) res.write(payload.slice(0, Math.floor(payload.length / 2)));
      else res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const fake: FakeHandset = {
    url: `http://127.0.0.1:${port}${prefix}`,
    clientId: FAKE_CLIENT_ID,
    clientSecret: FAKE_CLIENT_SECRET,
    requests,
    requestsTo: (path) => requests.filter((r) => r.path === path),
    tokens,
    revokeAllTokens: () => valid.clear(),
    reset: () => {
      requests.length = 0;
      counts.clear();
      fake.handler = undefined;
    },
    handler: options.handler,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
  return fake;
}
