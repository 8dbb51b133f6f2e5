/**
 * @module e2e/web/support/app-server
 * The integrator's web app for the browser tests: a tiny node:http server on its own 127.0.0.1
 * port (so every SDK call to the platform is a real cross-origin CORS call) that serves the test
 * pages and the built SDK bundles, and plays the integrator's back end: `/api/start` (→ /v3/unify),
 * `/api/verify` (→ /v3/unify-status), `/api/bind` (→ /v3/unify-bind).
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { UnifyRequest, UnifyResult } from '@handset/protocol';
import { HandsetApiError, type HandsetApi } from './handset-api.ts';

const here = dirname(fileURLToPath(import.meta.url));
const pagesDir = join(here, '../pages');

/** One back-end session: what /v3/unify returned and every status read since. */
export interface AppSession {
  authId: string;
  correlationId: string;
  phoneNumber?: string;
  /** The `/v3/unify` body exactly as the back end sent it. */
  request: UnifyRequest;
  /** The authToken's decoded claims (`auth.*`), as the browser SDK reads them. */
  claims: { auth: Record<string, any> };
  statuses: UnifyResult[];
}

export interface AppServer {
  url: string;
  /** Sessions by authId, in start order. */
  sessions: Map<string, AppSession>;
  /** The latest session started. */
  last(): AppSession;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
}

function claimsOf(authToken: string): { auth: Record<string, any> } {
  return JSON.parse(Buffer.from(authToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as { auth: Record<string, any> };
}

function page(name: string): string {
  const forms = readFileSync(join(pagesDir, 'forms.html'), 'utf8');
  return readFileSync(join(pagesDir, name), 'utf8').replace('<!--FORMS-->', forms);
}

/**
 * Starts the app on a free port of 127.0.0.1, talking to the platform through `api` and serving
 * the SDK bundles from `bundlesDir`.
 */
export async function startAppServer(api: HandsetApi, bundlesDir: string): Promise<AppServer> {
  const sessions = new Map<string, AppSession>();
  let counter = 0;

  const handleApi = async (path: string, body: Record<string, unknown>): Promise<unknown> => {
    if (path === '/api/start') {
      const request = { clientRequestId: `e2e-${++counter}`, ...body } as UnifyRequest;
      const reply = await api.unify(request);
      if (!reply.authToken) throw new Error('unify returned no authToken');
      const claims = claimsOf(reply.authToken);
      const authId = String(claims.auth.id);
      sessions.set(authId, { authId, correlationId: reply.correlationId, phoneNumber: request.phoneNumber, request, claims, statuses: [] });
      return { authToken: reply.authToken };
    }
    const session = sessions.get(String(body.authId));
    if (!session) throw new Error('unknown authId');
    if (path === '/api/verify') {
      const status = await api.unifyStatus({ correlationId: session.correlationId });
      session.statuses.push(status);
      return status;
    }
    if (path === '/api/bind') {
      const status = await api.unifyBind({ correlationId: session.correlationId, phoneNumber: String(body.phoneNumber) });
      session.statuses.push(status);
      return status;
    }
    return undefined;
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://app').pathname;
    if (req.method === 'POST' && path.startsWith('/api/')) {
      readJson(req)
        .then((body) => handleApi(path, body))
        .then(
          (result) => (result === undefined ? send(res, 404, 'application/json', '{"message":"not found"}') : send(res, 200, 'application/json', JSON.stringify(result))),
          (error: unknown) => {
            const status = error instanceof HandsetApiError ? 502 : 500;
            send(res, status, 'application/json', JSON.stringify({ message: (error as Error).message }));
          },
        );
      return;
    }
    try {
      if (path === '/app.js') return send(res, 200, 'text/javascript', readFileSync(join(pagesDir, 'app.js')));
      if (path === '/handset-web.mjs' || path === '/handset-web.min.js') return send(res, 200, 'text/javascript', readFileSync(join(bundlesDir, path)));
      if (/^\/[a-z-]+\.html$/.test(path)) return send(res, 200, 'text/html; charset=utf-8', page(path.slice(1)));
    } catch {
      // fall through to 404
    }
    send(res, 404, 'text/plain', 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sessions,
    last: () => {
      const all = [...sessions.values()];
      const latest = all[all.length - 1];
      if (!latest) throw new Error('no session started');
      return latest;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
