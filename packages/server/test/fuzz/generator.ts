/**
 * @module generator
 * Odd HTTP requests, as bytes, from a fixed seed: random and invalid methods; the app's own
 * routes with mutated segments; repeated and odd query parameters; odd, huge, repeated and
 * invalid headers; WebSocket handshakes; malformed JSON, wrong content types, bad chunking,
 * wrong or repeated Content-Length, truncated bodies and raw bytes. Plans come from fast-check
 * (`fc.sample` with the seed), so a seed always gives the same requests, and the first N of a
 * longer run are the N of a shorter one.
 */
import fc from 'fast-check';
import { PA_VERSION } from '@handset/protocol';
import type { RouteEntry } from '../../src/http/route-methods.js';

/** What valid credentials look like on this server, so some requests get past authentication. */
export interface FuzzContext {
  routes: readonly RouteEntry[];
  /** A `/token` access token. */
  bearer: string;
  /** The authToken of a live session. */
  authToken: string;
  clientId: string;
  clientSecret: string;
}

export interface FuzzRequest {
  /** A short name of what was odd about it, for the report. */
  kind: string;
  method: string;
  /** The request target as sent (path and query). */
  target: string;
  bytes: Buffer;
  /** HEAD: the answer has no body. */
  head: boolean;
  /** The client hangs up after sending (the request is incomplete): no answer is owed. */
  hangUp: boolean;
}

type Framing = 'length' | 'none' | 'short' | 'long' | 'repeated' | 'not-a-number' | 'chunked' | 'bad-chunk' | 'unterminated' | 'both';

interface HttpPlan {
  type: 'http';
  method: string;
  target: string;
  version: string;
  eol: string;
  headers: Array<[string, string]>;
  oddLines: string[];
  body: string | null;
  framing: Framing;
}

interface RawPlan {
  type: 'raw';
  bytes: Uint8Array;
  hangUp: boolean;
}

const WS_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

const ODD_BODIES = [
  '',
  ' ',
  'null',
  'true',
  '0',
  '[]',
  '{}',
  '{',
  '{"a":',
  '{"a":1,"a":2}',
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"x":1}}}',
  '{"correlationId":null,"phoneNumber":null,"otp":null,"vfp":null,"deviceId":null}',
  '{"correlationId":{"$gt":""},"phoneNumber":["1"],"otp":{},"deviceId":7}',
  '{"phoneNumber":"\\u0000\\u202e+1202"}',
  '\u00ff\u00fe',
  '\ufeff{}',
  '{"a":'.repeat(300),
  '['.repeat(3000),
  `{"x":"${'y'.repeat(5000)}"}`,
  'grant_type=client_credentials&grant_type=client_credentials',
  'a=1&a=2&b',
];

function plausibleBodies(context: FuzzContext): string[] {
  return [
    '{"possessionType":"mobile","clientRequestId":"fz","phoneNumber":"+12025550100"}',
    '{"possessionType":"desktop","clientRequestId":"fz","phoneNumber":"+12025550101","finalTargetUrl":"https://example.com/done"}',
    '{"possessionType":"none","clientRequestId":"fz"}',
    '{"correlationId":"00000000-0000-4000-8000-000000000000"}',
    '{"correlationId":"00000000-0000-4000-8000-000000000000","phoneNumber":"+12025550100"}',
    '{"deviceId":"fz-device"}',
    '{"otp":"1234"}',
    '{"mobileNumber":"+12025550102"}',
    '{"vfp":"x.y.z"}',
    '{"cellularIp":null,"implementation":"fetch"}',
    '{"code":1,"message":"m"}',
    '{"registrations":[{"publicKey":{"id":"k","alg":"ES256","key":"-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----"},"signature":"%%%"}]}',
    `grant_type=client_credentials&client_id=${context.clientId}&client_secret=${context.clientSecret}`,
    `grant_type=client_credentials&client_id=${context.clientId}&client_id=${context.clientId}&client_secret=${context.clientSecret}`,
  ];
}

/** A value for a `:param` or `*` segment. */
const segment = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{43}$/),
  fc.string({ minLength: 0, maxLength: 12 }),
  fc.constantFrom('%zz', '%', '%ff%fe', '%00', '%2e%2e', '..', '%2F', 'a%20b', '\u00e9', '~'),
  fc.integer({ min: 90, max: 3000 }).map((n) => 'a'.repeat(n)),
);

/** Mutations of a route's path. */
function pathArb(context: FuzzContext): fc.Arbitrary<{ path: string; route: RouteEntry | null }> {
  const routes = context.routes;
  const filled = fc.tuple(fc.nat({ max: routes.length - 1 }), fc.array(segment, { minLength: 2, maxLength: 2 })).map(([i, [a, b]]) => {
    const route = routes[i]!;
    const path = route.url.replace(/:[A-Za-z]+/, a!).replace('*', b!);
    return { path, route };
  });
  return fc.oneof(
    { weight: 10, arbitrary: filled },
    {
      weight: 6,
      arbitrary: fc
        .tuple(
          filled,
          fc.constantFrom('upper', 'slash', 'double', 'dots', 'encoded', 'append', 'bytes', 'absolute', 'star', 'empty', 'backslash'),
          segment,
        )
        .map(([{ path, route }, how, extra]) => {
          const mutated: Record<string, string> = {
            upper: path.toUpperCase(),
            slash: `${path}/`,
            double: path.replace('/', '//'),
            dots: `/x/..${path}`,
            encoded: path.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`),
            append: `${path}/${extra}`,
            bytes: `${path}\u00ff\u0080`,
            absolute: `http://fuzz.example${path}`,
            star: '*',
            empty: '',
            backslash: path.replace(/\//g, '\\'),
          };
          return { path: mutated[how]!, route };
        }),
    },
  );
}

function queryArb(context: FuzzContext): fc.Arbitrary<string> {
  const name = fc.oneof(
    fc.constantFrom('token', 'r', 'sdkVersion', '__proto__', 'constructor', 'a[]', 'a[b]', ''),
    fc.string({ minLength: 1, maxLength: 8 }),
  );
  const value = fc.oneof(
    fc.constantFrom(context.authToken, `${context.authToken}x`, 'f', '', '%zz', '%00', 'a+b', '3.2.5'),
    fc.string({ maxLength: 20 }),
    fc.integer({ min: 100, max: 9000 }).map((n) => 'q'.repeat(n)),
  );
  const pair = fc.tuple(name, value).map(([n, v]) => `${encodeURIComponent(n)}=${encodeURIComponent(v)}`);
  return fc.oneof(
    { weight: 5, arbitrary: fc.constant('') },
    { weight: 3, arbitrary: fc.constant(`?token=${context.authToken}`) },
    { weight: 3, arbitrary: fc.array(pair, { minLength: 1, maxLength: 4 }).map((pairs) => `?${pairs.join('&')}`) },
    // The same parameter twice (the 500 of issue 9), with the same or another value.
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.constantFrom('token', 'r', 'x'), value, fc.boolean())
        .map(([n, v, same]) => `?${n}=${encodeURIComponent(v)}&${n}=${same ? encodeURIComponent(v) : 'other'}`),
    },
    { weight: 1, arbitrary: fc.constantFrom('?', '?&&', '?=', '?token', '?token=a;token=b', '?%', '?a=%zz&a=%zz', '#frag') },
  );
}

function headerArb(context: FuzzContext): fc.Arbitrary<Array<[string, string]>> {
  const authorization = fc.constantFrom(
    `Bearer ${context.bearer}`,
    `Bearer ${context.authToken}`,
    `bearer ${context.bearer}`,
    `Bearer ${context.bearer}x`,
    'Bearer',
    'Bearer  ',
    `Basic ${Buffer.from(`${context.clientId}:${context.clientSecret}`).toString('base64')}`,
    `Bearer ${'x'.repeat(6000)}`,
    'Bearer \u00ff\u00fe',
    `Bearer ${context.authToken}, Bearer ${context.bearer}`,
  );
  const contentType = fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/x-www-form-urlencoded',
    'text/plain',
    'application/json; charset=latin1',
    'APPLICATION/JSON',
    'application/jsonx',
    'multipart/form-data; boundary=x',
    '',
    ';;;',
    'application/json, text/plain',
    'application/json; charset="utf-8"; x=',
  );
  const single = fc.oneof(
    authorization.map((v): [string, string] => ['Authorization', v]),
    contentType.map((v): [string, string] => ['Content-Type', v]),
    fc.constantFrom<[string, string]>(
      ['PA-Version', PA_VERSION],
      ['PA-Version', 'nonsense'],
      ['PA-Sig-Version', '3'],
      ['PA-Sig-Version', '99'],
      ['PA-Challenge', 'abc'],
      ['PA-KID', 'kid'],
      ['PA-Signature', '!!!'],
      ['PA-Signature', 'A'.repeat(200)],
      ['Accept', 'application/json'],
      ['Accept', 'text/html'],
      ['Accept', '*/*;q=0.1, application/json'],
      ['X-Forwarded-For', '1.2.3.4, ::1, nonsense'],
      ['X-Forwarded-For', ''],
      ['Expect', '100-continue'],
      ['Expect', 'something-else'],
      ['Accept-Version', '1.x'],
      ['Accept-Version', '~~!!'],
      ['Connection', 'close'],
      ['Connection', 'keep-alive'],
      ['Connection', 'Upgrade'],
      ['Connection', 'Upgrade, HTTP2-Settings'],
      ['Upgrade', 'websocket'],
      ['Upgrade', 'h2c'],
      ['Upgrade', 'WebSocket'],
      ['Upgrade', 'nonsense/1'],
      ['Sec-WebSocket-Key', WS_KEY],
      ['Sec-WebSocket-Key', 'short'],
      ['Sec-WebSocket-Version', '13'],
      ['Sec-WebSocket-Version', '12'],
      ['Sec-WebSocket-Protocol', 'a b, ,'],
      ['Sec-WebSocket-Extensions', 'permessage-deflate; x=;;'],
      ['Origin', 'null'],
      ['Cookie', 'a=b; a=c'],
      ['Range', 'bytes=0-1'],
      ['Content-Encoding', 'gzip'],
      ['Host', ''],
      ['Host', 'a b'],
      ['Host', 'x'.repeat(300)],
      ['X-Tab', 'a\tb'],
    ),
  );
  // Values Node's parser refuses (control characters) or keeps as Latin-1 (obs-text).
  const oddValue = fc.constantFrom<[string, string]>(['X-Ctl', 'a\u0001b'], ['X-Del', 'a\u007fb'], ['X-Obs', '\u00e9\u00ff'], ['PA-KID', '\u00ff']);
  const list = fc.array(fc.oneof({ weight: 15, arbitrary: single }, { weight: 1, arbitrary: oddValue }), { maxLength: 6 });
  return fc.oneof(
    { weight: 12, arbitrary: list },
    // One of them twice.
    { weight: 5, arbitrary: fc.tuple(list, single).map(([headers, h]) => [...headers, h, h]) },
    // The full WebSocket handshake, the odd part elsewhere.
    {
      weight: 2,
      arbitrary: list.map((headers): Array<[string, string]> => [
        ['Connection', 'Upgrade'],
        ['Upgrade', 'websocket'],
        ['Sec-WebSocket-Key', WS_KEY],
        ['Sec-WebSocket-Version', '13'],
        ...headers,
      ]),
    },
    // Headers over Node's 16 KB, or very many of them.
    { weight: 1, arbitrary: fc.integer({ min: 8_000, max: 24_000 }).map((n): Array<[string, string]> => [['X-Big', 'b'.repeat(n)]]) },
    { weight: 1, arbitrary: fc.integer({ min: 50, max: 2500 }).map((n) => Array.from({ length: n }, (_, i): [string, string] => [`X-H${i}`, 'v'])) },
  );
}

/** Header lines no well-behaved client writes. */
const oddLines = fc.oneof(
  { weight: 8, arbitrary: fc.constant<string[]>([]) },
  {
    weight: 1,
    arbitrary: fc.array(
      fc.constantFrom('NoColon', ' folded continuation', 'Name : value', ': empty-name', 'X-Nul: a\u0000b', 'X-Cr: a\rb', 'Bad Name: v', 'X-\u00ff: v'),
      { minLength: 1, maxLength: 2 },
    ),
  },
);

function bodyArb(context: FuzzContext): fc.Arbitrary<string | null> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(null) },
    { weight: 5, arbitrary: fc.constantFrom(...plausibleBodies(context)) },
    { weight: 4, arbitrary: fc.constantFrom(...ODD_BODIES) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')) },
  );
}

const framing = fc.oneof(
  { weight: 12, arbitrary: fc.constant<Framing>('length') },
  { weight: 3, arbitrary: fc.constant<Framing>('chunked') },
  {
    weight: 5,
    arbitrary: fc.constantFrom<Framing>('none', 'short', 'long', 'repeated', 'not-a-number', 'bad-chunk', 'unterminated', 'both'),
  },
);

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'SEARCH', 'LOCK'];

function httpPlan(context: FuzzContext): fc.Arbitrary<HttpPlan> {
  return fc
    .record({
      path: pathArb(context),
      query: queryArb(context),
      method: fc.oneof(
        { weight: 6, arbitrary: fc.constant<string | null>(null) },
        { weight: 3, arbitrary: fc.constantFrom(...METHODS) },
        { weight: 1, arbitrary: fc.constantFrom('get', 'G@T', 'CONNECT', 'PRI', 'FOO', 'M-SEARCH', '') },
      ),
      version: fc.oneof(
        { weight: 20, arbitrary: fc.constant('HTTP/1.1') },
        { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.1 x', 'http/1.1', '') },
      ),
      eol: fc.oneof({ weight: 30, arbitrary: fc.constant('\r\n') }, { weight: 1, arbitrary: fc.constant('\n') }),
      host: fc.oneof({ weight: 20, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      headers: headerArb(context),
      oddLines,
      body: bodyArb(context),
      framing,
    })
    .map(({ path, query, method, version, eol, host, headers, oddLines: odd, body, framing: f }) => ({
      type: 'http' as const,
      method: method ?? path.route?.method ?? 'GET',
      target: path.path + query,
      version,
      eol,
      headers: host ? [['Host', 'fuzz.example'] as [string, string], ...headers] : headers,
      oddLines: odd,
      body,
      framing: f,
    }));
}

/** The credentials and content type a route expects, so a request's one oddity is met by the handler. */
function properHeaders(context: FuzzContext, url: string): Array<[string, string]> {
  const headers: Array<[string, string]> = [['Host', 'fuzz.example']];
  if (url.startsWith('/v3/')) headers.push(['Authorization', `Bearer ${context.bearer}`]);
  if (url.startsWith('/v1/client/')) headers.push(['Authorization', `Bearer ${context.authToken}`]);
  headers.push(['Content-Type', url === '/token' ? 'application/x-www-form-urlencoded' : 'application/json']);
  return headers;
}

/** Well-formed requests to a real route with its credentials: only the body, or the query, is odd. */
function cleanPlan(context: FuzzContext): fc.Arbitrary<HttpPlan> {
  return fc
    .record({ route: fc.constantFrom(...context.routes.filter((r) => !r.url.includes('*'))), param: segment, query: queryArb(context), body: bodyArb(context) })
    .map(({ route, param, query, body }) => ({
      type: 'http' as const,
      method: route.method,
      target: route.url.replace(/:[A-Za-z]+/, param) + query,
      version: 'HTTP/1.1',
      eol: '\r\n',
      headers: properHeaders(context, route.url),
      oddLines: [],
      body: route.method === 'GET' || route.method === 'HEAD' ? null : body,
      framing: 'length' as const,
    }));
}

const rawPlan: fc.Arbitrary<RawPlan> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => ({ type: 'raw' as const, bytes, hangUp: true })),
  fc
    .constantFrom(
      'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
      '\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003',
      '\r\n\r\n',
      'GET',
      'GET / HTTP/1.1\r\nHost: x\r\n',
      'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n',
      'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcdeGET /readyz HTTP/1.1\r\n\r\n',
      '\u0000\u0000\u0000\u0000',
    )
    .map((text) => ({ type: 'raw' as const, bytes: Buffer.from(text, 'latin1'), hangUp: true })),
);

function chunk(text: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${text.length.toString(16)}\r\n`), text, Buffer.from('\r\n')]);
}

/** The bytes of a plan and whether its request is complete. */
function render(plan: HttpPlan | RawPlan): FuzzRequest {
  if (plan.type === 'raw') {
    return { kind: 'raw bytes', method: '', target: '', bytes: Buffer.from(plan.bytes), head: false, hangUp: plan.hangUp };
  }
  const body = plan.body === null ? Buffer.alloc(0) : Buffer.from(plan.body, 'latin1');
  const headers = plan.headers.map(([name, value]) => `${name}: ${value}`);
  let payload: Buffer = body;
  let hangUp = false;
  switch (plan.framing) {
    case 'length':
      if (plan.body !== null) headers.push(`Content-Length: ${body.length}`);
      break;
    case 'none':
      break;
    case 'short':
      headers.push(`Content-Length: ${Math.max(0, body.length - 3)}`);
      break;
    case 'long':
      headers.push(`Content-Length: ${body.length + 10}`);
      hangUp = true;
      break;
    case 'repeated':
      headers.push(`Content-Length: ${body.length}`, `Content-Length: ${body.length}`);
      break;
    case 'not-a-number':
      headers.push('Content-Length: 12abc');
      break;
    case 'chunked':
      headers.push('Transfer-Encoding: chunked');
      payload = Buffer.concat([body.length > 0 ? chunk(body) : Buffer.alloc(0), Buffer.from('0\r\n\r\n')]);
      break;
    case 'bad-chunk':
      headers.push('Transfer-Encoding: chunked');
      payload = Buffer.concat([Buffer.from('zz\r\n'), body, Buffer.from('\r\n0\r\n\r\n')]);
      break;
    case 'unterminated':
      headers.push('Transfer-Encoding: chunked');
      payload = body.length > 0 ? chunk(body) : Buffer.from('5\r\nab');
      hangUp = true;
      break;
    case 'both':
      headers.push('Transfer-Encoding: chunked', `Content-Length: ${body.length}`);
      payload = Buffer.concat([body.length > 0 ? chunk(body) : Buffer.alloc(0), Buffer.from('0\r\n\r\n')]);
      break;
  }
  const { eol } = plan;
  const head = `${plan.method} ${plan.target} ${plan.version}`.trimEnd() + eol + [...headers, ...plan.oddLines].map((line) => line + eol).join('') + eol;
  const kind = [
    plan.framing !== 'length' ? plan.framing : '',
    plan.oddLines.length > 0 ? 'odd header lines' : '',
    plan.version !== 'HTTP/1.1' ? 'odd version' : '',
    /[?&](\w*)=[^&]*&\1=/.test(plan.target) ? 'repeated query' : '',
  ]
    .filter(Boolean)
    .join(', ');
  return {
    kind: kind || 'odd values',
    method: plan.method,
    target: plan.target,
    bytes: Buffer.concat([Buffer.from(head, 'latin1'), payload]),
    head: plan.method === 'HEAD',
    // A request the server may still be reading when the client stops: half-close so it is not left waiting.
    hangUp,
  };
}

/** The first `count` requests of `seed`. */
export function fuzzRequests(context: FuzzContext, seed: number, count: number): FuzzRequest[] {
  const plans = fc.oneof({ weight: 13, arbitrary: httpPlan(context) }, { weight: 6, arbitrary: cleanPlan(context) }, { weight: 1, arbitrary: rawPlan });
  return fc.sample(plans, { seed, numRuns: count }).map(render);
}
