/**
 * @module main
 * `startDemo()`: the demo integrator's back end on its own port. It serves the sign-up page, the
 * Instant Link landing page, the page scripts, the `@handset/web` bundle and the JSON API of
 * `api-routes.ts`, and talks to Handset through `@handset/node`.
 *
 * @example
 * ```ts
 * import { startDemo } from './main.ts';
 * const demo = await startDemo({ port: 3000, handsetUrl: 'http://127.0.0.1:8080', clientId, clientSecret });
 * console.log(`open ${demo.url}`);
 * await demo.close();
 * ```
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Handset } from '@handset/node';
import { bindFlow, inboxMessages, resendCheck, startFlow, startOwnCheck, verifyFlow, type ApiDeps } from './api-routes.js';
import { DemoInbox } from './demo-inbox.js';
import { FlowStore } from './flow-store.js';
import { bundlePageScripts, DEFAULT_SDK_DIR, readSdk, SDK_FILE, staticPages, type Asset } from './front-end.js';
import { DemoHttpError, readJsonObject, securityHeaders, sendBytes, sendError, sendJson } from './http-util.js';

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Port to listen on; 0 picks a free one. Default 3000. */
  port?: number;
  /** Address to bind. Default 127.0.0.1. */
  host?: string;
  /** The demo's origin as browsers reach it (the Instant Link lands there). Default `http://{host}:{port}`. */
  publicUrl?: string;
  /** The Handset platform's origin. */
  handsetUrl: string;
  clientId: string;
  clientSecret: string;
  /** A number the development carrier recognises (Mobile Auth succeeds), shown as a hint. */
  mobileAuthNumber?: string;
  /** Where `handset-web.mjs` is. Default `packages/web/dist`. */
  sdkDir?: string;
  /** Where log lines go (they never hold full numbers, codes or secrets). Default: nowhere. */
  log?: (line: string) => void;
  /** The clock (tests move it to expire the demo's own codes). Default: the system clock. */
  now?: () => Date;
}

/** A running demo. */
export interface RunningDemo {
  /** The origin it serves, e.g. `http://127.0.0.1:3000`. */
  url: string;
  close(): Promise<void>;
}

type Handler = (deps: ApiDeps, body: Record<string, unknown>) => Promise<unknown>;

const POST_ROUTES: Readonly<Record<string, Handler>> = {
  '/api/start': startFlow,
  '/api/verify': verifyFlow,
  '/api/check/start': startOwnCheck,
  '/api/check/resend': resendCheck,
  '/api/bind': bindFlow,
};

function listen(server: ReturnType<typeof createServer>, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * Starts the demo and resolves once it listens. Rejects when the port is taken (`EADDRINUSE`) or
 * the page scripts do not bundle.
 *
 * @example
 * ```ts
 * const demo = await startDemo({ port: 0, handsetUrl: platform.url, clientId, clientSecret });
 * ```
 */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const handsetUrl = new URL(options.handsetUrl).origin;
  const host = options.host ?? '127.0.0.1';
  const sdkDir = options.sdkDir ?? DEFAULT_SDK_DIR;
  const log = options.log ?? (() => undefined);
  const assets = new Map<string, Asset>([...staticPages(), ...(await bundlePageScripts())]);
  const headers = securityHeaders(handsetUrl);
  const deps: ApiDeps = {
    handset: new Handset({ serverURL: handsetUrl, clientId: options.clientId, clientSecret: options.clientSecret, timeoutMs: 15_000 }),
    flows: new FlowStore(),
    inbox: new DemoInbox(),
    config: {
      handsetUrl,
      outboxUrl: `${handsetUrl}/dev/outbox`,
      ...(options.mobileAuthNumber ? { mobileAuthNumber: options.mobileAuthNumber } : {}),
    },
    publicUrl: '',
    now: options.now ?? (() => new Date()),
    log,
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    const path = new URL(req.url ?? '/', 'http://demo.invalid').pathname;
    const post = POST_ROUTES[path];
    if (post) {
      if (req.method !== 'POST') throw new DemoHttpError(405, 'method_not_allowed', 'use POST', { allow: 'POST' });
      return sendJson(res, 200, await post(deps, await readJsonObject(req)));
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new DemoHttpError(405, 'method_not_allowed', 'use GET', { allow: 'GET, HEAD' });
    if (path === '/api/config') return sendJson(res, 200, deps.config);
    if (path === '/api/inbox') return sendJson(res, 200, inboxMessages(deps));
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (path === '/favicon.ico') return void res.writeHead(204).end();
    if (path === `/sdk/${SDK_FILE}`) {
      const sdk = readSdk(sdkDir);
      if (!sdk) throw new DemoHttpError(503, 'sdk_missing', 'The web SDK is not built: run `node packages/web/scripts/build.mjs`.');
      return sendBytes(res, sdk.contentType, sdk.body);
    }
    const asset = assets.get(path);
    if (asset) return sendBytes(res, asset.contentType, asset.body);
    throw new DemoHttpError(404, 'not_found', 'no such page');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (error instanceof DemoHttpError) return sendError(res, error);
      log(`unexpected error: ${(error as Error).message}`);
      sendError(res, new DemoHttpError(500, 'internal', 'Something went wrong in the demo.'));
    });
  });
  const address = await listen(server, options.port ?? 3000, host);
  const shownHost = address.address === '0.0.0.0' || address.address === '::' ? 'localhost' : address.address;
  const url = `http://${address.family === 'IPv6' && shownHost !== 'localhost' ? `[${shownHost}]` : shownHost}:${address.port}`;
  deps.publicUrl = options.publicUrl ? new URL(options.publicUrl).origin : url;
  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
