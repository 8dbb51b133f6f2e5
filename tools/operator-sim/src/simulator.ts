/**
 * @module simulator
 * {@link startOperatorSimulator}: one HTTP server on 127.0.0.1 playing a mobile operator's CAMARA
 * front door (OIDC discovery, authorization, token, Number Verification, SIM Swap), with
 * failure injection per endpoint for tests.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { camaraError, check, devicePhoneNumber, retrieveDate, verify } from './camara.js';
import type { SimContext } from './context.js';
import { Grants } from './grants.js';
import { cookie, sendJson, sendText } from './http-util.js';
import { authorize, discovery, token } from './oidc.js';
import type { SimEndpoint, SimFault, SimulatorOptions } from './options.js';

/** Request header that names the line (tests only; a real operator reads the network). */
export const LINE_HEADER = 'x-operator-sim-line';
/** Cookie on the simulator's origin that names the line (browser tests). */
export const LINE_COOKIE = 'operator_sim_line';

/** A running simulator. */
export interface OperatorSimulator {
  /** `http://127.0.0.1:PORT`: the OIDC issuer and the CAMARA API root. */
  url: string;
  /** Breaks an endpoint's answers until called again with null. */
  fail(endpoint: SimEndpoint, fault: SimFault | null): void;
  /** Sets the line of an address (`'default'`: of every unmapped request); null removes it. */
  setLine(address: string, phone: string | null): void;
  /** Sets a subscriber's latest SIM change (ISO time, or null for never). */
  setSimChange(phone: string, at: string | null): void;
  /** Requests received per endpoint (tests check that a refused input never reached the operator). */
  hits(endpoint: SimEndpoint): number;
  /** Stops listening and drops every connection, held ones included. */
  close(): Promise<void>;
}

type Route = { endpoint: SimEndpoint; method: string; handle: (ctx: SimContext, req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => void | Promise<void> };

const ROUTES: Record<string, Route> = {
  '/.well-known/openid-configuration': { endpoint: 'discovery', method: 'GET', handle: (ctx, _req, res) => discovery(ctx, res) },
  '/authorize': { endpoint: 'authorize', method: 'GET', handle: (ctx, req, res, query) => authorize(ctx, req, res, query) },
  '/token': { endpoint: 'token', method: 'POST', handle: (ctx, req, res) => token(ctx, req, res) },
  '/number-verification/v2/verify': { endpoint: 'verify', method: 'POST', handle: (ctx, req, res) => verify(ctx, req, res) },
  '/number-verification/v2/device-phone-number': { endpoint: 'device-phone-number', method: 'GET', handle: (ctx, req, res) => devicePhoneNumber(ctx, req, res) },
  '/sim-swap/v2/check': { endpoint: 'check', method: 'POST', handle: (ctx, req, res) => check(ctx, req, res) },
  '/sim-swap/v2/retrieve-date': { endpoint: 'retrieve-date', method: 'POST', handle: (ctx, req, res) => retrieveDate(ctx, req, res) },
};

/** Answers an injected fault; returns false for `timeout` (the request is left hanging). */
function answerFault(endpoint: SimEndpoint, fault: SimFault, req: IncomingMessage, res: ServerResponse): void {
  if (fault === 'timeout') return; // held until the client gives up or close() drops it
  if (fault === 'malformed') {
    if (endpoint === 'authorize') {
      res.writeHead(302, { location: 'about:blank' }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"unexpected": ');
    return;
  }
  if (endpoint === 'token') return sendJson(res, fault.status, { error: fault.status === 429 ? 'slow_down' : 'server_error', error_description: 'injected failure' });
  if (endpoint === 'authorize' || endpoint === 'discovery') return sendText(res, fault.status, 'injected failure');
  camaraError(req, res, fault.status, fault.status === 429 ? 'TOO_MANY_REQUESTS' : fault.status === 503 ? 'UNAVAILABLE' : 'INTERNAL', 'injected failure');
}

/**
 * Starts a simulator on 127.0.0.1.
 *
 * @example
 * const sim = await startOperatorSimulator({
 *   clients: [{ clientId: 'handset', clientSecret: 's3cret', redirectUris: ['http://127.0.0.1:8080/cb'] }],
 *   lines: { default: '+12025550154' },
 *   simChanges: { '+12025550154': null },
 * });
 * // issuer and API root: sim.url
 * await sim.close();
 */
export async function startOperatorSimulator(options: SimulatorOptions): Promise<OperatorSimulator> {
  const now = options.now ?? Date.now;
  const clients = new Map(options.clients.map((c) => [c.clientId, c]));
  const byAddress = new Map(Object.entries(options.lines?.byAddress ?? {}));
  let defaultLine = options.lines?.default ?? null;
  const simChanges = new Map(Object.entries(options.simChanges ?? {}));
  const faults = new Map<SimEndpoint, SimFault>();
  const hits = new Map<SimEndpoint, number>();
  let origin = '';

  const lineOf = (req: IncomingMessage): string | null => {
    const named = (req.headers[LINE_HEADER] as string | undefined) ?? cookie(req, LINE_COOKIE);
    if (named !== undefined) return named === 'none' || named === '' ? null : named;
    const address = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    return byAddress.get(address) ?? defaultLine;
  };
  const ctx: SimContext = {
    origin: () => origin,
    now,
    grants: new Grants(now),
    client: (id) => clients.get(id),
    lineOf,
    simChange: (phone) => (simChanges.has(phone) ? simChanges.get(phone)! : [...byAddress.values(), defaultLine].includes(phone) ? null : undefined),
    monitoredPeriodDays: options.monitoredPeriodDays,
    tokenTtlSeconds: Math.min(options.tokenTtlSeconds ?? 300, 300),
    codeTtlSeconds: options.codeTtlSeconds ?? 60,
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = ROUTES[url.pathname];
    if (!route) return camaraError(req, res, 404, 'NOT_FOUND', 'The specified resource is not found.');
    if (req.method !== route.method) {
      res.setHeader('allow', route.method);
      return camaraError(req, res, 405, 'METHOD_NOT_ALLOWED', 'The requested method is not allowed/supported on the target resource.');
    }
    hits.set(route.endpoint, (hits.get(route.endpoint) ?? 0) + 1);
    const fault = faults.get(route.endpoint);
    if (fault !== undefined) return answerFault(route.endpoint, fault, req, res);
    Promise.resolve(route.handle(ctx, req, res, url.searchParams)).catch(() => {
      // Only an oversized or broken body gets here: CAMARA's 400, never a crash.
      if (!res.headersSent) camaraError(req, res, 400, 'INVALID_ARGUMENT', 'The request body could not be read.');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: origin,
    fail(endpoint, fault) {
      if (fault === null) faults.delete(endpoint);
      else faults.set(endpoint, fault);
    },
    setLine(address, phone) {
      if (address === 'default') defaultLine = phone;
      else if (phone === null) byAddress.delete(address);
      else byAddress.set(address, phone);
    },
    setSimChange(phone, at) {
      simChanges.set(phone, at);
    },
    hits: (endpoint) => hits.get(endpoint) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
