/**
 * One error shape for everything the server answers (issue 9): every route, taken from the app
 * itself, gets malformed HTTP over a raw TCP socket (what Node's parser refuses, what Fastify's
 * router refuses) and odd methods, queries and headers. Every error answer is `{code, message}`
 * with a numeric code, and none is a 5xx.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiError, ERROR_REPORT_AREAS, errorReportPath } from '@handset/protocol';
import { routesOf, type RouteEntry } from '../../src/http/route-methods.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { answerProblem } from '../fuzz/oracle.js';
import { sendRaw, type RawAnswer } from '../fuzz/raw-http.js';

/** An HTTP/1.1 request as text; `body` gets a correct Content-Length unless a header says otherwise. */
function request(method: string, target: string, headers: string[] = [], body?: string): string {
  const all = ['Host: sweep.example', ...headers];
  if (body !== undefined && !all.some((h) => /^(content-length|transfer-encoding):/i.test(h))) all.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${method} ${target} HTTP/1.1\r\n${all.map((h) => `${h}\r\n`).join('')}\r\n${body ?? ''}`;
}

/** What fills a route's `:param`: shaped like the platform's own tokens. */
const PARAM = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd';

/** A concrete path for a route pattern. */
function pathOf(route: RouteEntry): string {
  return route.url.replace(/:[A-Za-z]+/, PARAM).replace('*', 'challenge');
}

interface Probe {
  name: string;
  bytes: (path: string, method: string) => string;
  /** Expected status, or a predicate on the answer. */
  status: number | ((answer: RawAnswer) => boolean);
  message?: RegExp;
  hangUp?: boolean;
}

const JSON_TYPE = 'Content-Type: application/json';

/**
 * Malformed HTTP, refused by Node's parser. The route may answer the well-formed start first (a
 * GET ignores its body); the refusal is then the last answer, and the connection is closed.
 */
const MALFORMED: Probe[] = [
  { name: 'bad chunk size', bytes: (p, m) => request(m, p, [JSON_TYPE, 'Transfer-Encoding: chunked'], 'zz\r\n{}\r\n0\r\n\r\n'), status: 400, message: /chunked/ },
  { name: 'two different Content-Lengths', bytes: (p, m) => request(m, p, [JSON_TYPE, 'Content-Length: 2', 'Content-Length: 3'], '{}'), status: 400, message: /Content-Length/ },
  { name: 'the same Content-Length twice', bytes: (p, m) => request(m, p, [JSON_TYPE, 'Content-Length: 2', 'Content-Length: 2'], '{}'), status: 400, message: /Content-Length/ },
  { name: 'Content-Length not a number', bytes: (p, m) => request(m, p, [JSON_TYPE, 'Content-Length: 2x'], '{}'), status: 400, message: /Content-Length/ },
  { name: 'Content-Length with chunked', bytes: (p, m) => request(m, p, [JSON_TYPE, 'Content-Length: 7', 'Transfer-Encoding: chunked'], '2\r\n{}\r\n0\r\n\r\n'), status: 400 },
  { name: 'Transfer-Encoding gzip', bytes: (p, m) => request(m, p, [JSON_TYPE, 'Transfer-Encoding: gzip'], '{}'), status: 400, message: /Transfer-Encoding/ },
  { name: 'NUL in a header value', bytes: (p, m) => request(m, p, ['X-Probe: a\u0000b']), status: 400, message: /header/ },
  { name: 'bare CR in a header value', bytes: (p, m) => request(m, p, ['X-Probe: a\rb']), status: 400 },
  { name: 'space before the colon', bytes: (p, m) => request(m, p, ['X-Probe : v']), status: 400 },
  { name: 'headers over 16 KB', bytes: (p, m) => request(m, p, [`X-Big: ${'b'.repeat(17_000)}`]), status: 431, message: /16 KB/ },
  { name: 'an invalid method token', bytes: (p) => request('G@T', p), status: 400, message: /method/ },
  { name: 'HTTP/3.0 on the request line', bytes: (p, m) => `${m} ${p} HTTP/3.0\r\nHost: x\r\n\r\n`, status: 400, message: /version/ },
  { name: 'a space inside the path', bytes: (p, m) => request(m, `${p}/a b`), status: 400 },
  { name: 'a request that stops mid-body', bytes: (p, m) => request(m, p, [JSON_TYPE, 'Content-Length: 50'], '{"a":'), status: () => true, hangUp: true },
];

/** Odd but well-formed HTTP: Fastify's router, the app's own checks or the route's hooks answer. */
const ODD: Probe[] = [
  { name: 'a query parameter twice', bytes: (p, m) => request(m, `${p}?token=a&token=a`), status: 400, message: /^query parameter 'token' is given more than once$/ },
  { name: 'another parameter twice', bytes: (p, m) => request(m, `${p}?r=f&x=1&x=2`), status: 400, message: /^query parameter 'x' is given more than once$/ },
  { name: 'two Authorization headers', bytes: (p, m) => request(m, p, ['Authorization: Bearer a', 'Authorization: Bearer a']), status: 400, message: /^header 'authorization' is given more than once$/ },
  { name: 'two Content-Types', bytes: (p, m) => request(m, p, [JSON_TYPE, JSON_TYPE], '{}'), status: 400, message: /content-type/ },
  { name: 'two PA-Signatures', bytes: (p, m) => request(m, p, ['PA-Signature: a', 'PA-Signature: b']), status: 400, message: /pa-signature/ },
  { name: 'two Hosts', bytes: (p, m) => request(m, p, ['Host: other.example']), status: 400, message: /host/ },
  { name: 'no Host', bytes: (p, m) => `${m} ${p} HTTP/1.1\r\n\r\n`, status: 400, message: /Host/ },
  { name: 'Expect other than 100-continue', bytes: (p, m) => request(m, p, ['Expect: teapot']), status: 417, message: /Expect/ },
  { name: 'an Upgrade with a body', bytes: (p, m) => request(m, p, ['Connection: Upgrade', 'Upgrade: websocket', JSON_TYPE], '{}'), status: 400, message: /upgrade/ },
  { name: 'a WebSocket upgrade with a bad key', bytes: (p, m) => request(m, p, ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Key: x', 'Sec-WebSocket-Version: 13']), status: (a) => a.status !== 101 && a.status < 500 },
  { name: 'an h2c upgrade', bytes: (p, m) => request(m, p, ['Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA']), status: (a) => a.status < 500 },
  { name: 'method PROPFIND', bytes: (p) => request('PROPFIND', p), status: 405, message: /not allowed/ },
  { name: 'bad percent-encoding', bytes: (p, m) => request(m, `${p.replace(/\/[^/]*$/, '')}/%ff%zz`), status: (a) => a.status === 400 || a.status === 404 || a.status === 405 },
  {
    name: 'a 200-character segment',
    bytes: (p, m) => request(m, p.includes(PARAM) ? p.replace(PARAM, 'x'.repeat(200)) : `${p}/${'x'.repeat(200)}`),
    // (204: a CORS preflight route takes any path under its prefix.)
    status: (a) => [204, 404, 414].includes(a.status),
  },
  { name: 'method CONNECT', bytes: () => request('CONNECT', 'sweep.example:443'), status: 405, message: /CONNECT/ },
];

describe('one error shape for every answer', () => {
  let server: TestServer;
  let routes: RouteEntry[];
  before(async () => {
    server = await startTestServer();
    routes = routesOf(server.server.app).filter((r) => r.method !== 'HEAD');
  });
  after(() => server.close());

  it('the route list comes from the app and holds every public route', () => {
    const listed = new Set(routes.map((r) => `${r.method} ${r.url}`));
    const expected = [
      'POST /token',
      'POST /v3/unify',
      'POST /v3/unify-status',
      'POST /v3/unify-bind',
      'POST /v3/device/revoke',
      'POST /v1/client/challenge',
      'POST /v1/client/device/unregister',
      'POST /v1/client/device/passive/register',
      'POST /v1/client/mobile/otp/finish',
      ...ERROR_REPORT_AREAS.map((area) => `POST ${errorReportPath(area)}`),
      'GET /v1/il/:token',
      'GET /v1/sandbox/carrier/:token',
      'GET /v1/client/status',
      'GET /dev/outbox',
      'GET /openapi.json',
      'GET /healthz',
      'GET /readyz',
    ];
    for (const route of expected) assert.ok(listed.has(route), `${route} is listed`);
  });

  for (const [group, probes] of [
    ['malformed HTTP', MALFORMED],
    ['odd methods, queries and headers', ODD],
  ] as const) {
    it(`every route answers ${group} with {code, message} and no 5xx`, async () => {
      const failures: string[] = [];
      let checked = 0;
      for (const route of routes) {
        const path = pathOf(route);
        for (const probe of probes) {
          const bytes = probe.bytes(path, route.method);
          const sent = { method: bytes.slice(0, bytes.indexOf(' ')), target: path, head: false, hangUp: probe.hangUp ?? false };
          const untilClosed = probes === MALFORMED && !probe.hangUp;
          const result = await sendRaw(server.url, Buffer.from(bytes, 'latin1'), { end: probe.hangUp, untilClosed });
          const where = `${route.method} ${route.url} / ${probe.name}`;
          const answers = untilClosed ? result.answers : result.answer ? [result.answer] : [];
          for (const answer of answers) {
            const problem = answerProblem(sent, { answer, answers: [], timedOut: false });
            if (problem) failures.push(`${where}: ${problem}`);
          }
          if (untilClosed && result.timedOut) failures.push(`${where}: the connection was left open`);
          const answer = answers.at(-1);
          if (!answer) {
            if (!probe.hangUp) failures.push(`${where}: no answer`);
            continue;
          }
          checked += 1;
          const expected = typeof probe.status === 'number' ? answer.status === probe.status : probe.status(answer);
          if (!expected) failures.push(`${where}: HTTP ${answer.status} ${answer.body.toString().slice(0, 120)}`);
          if (probe.message && answer.status >= 400 && /^application\/json/.test(answer.headers['content-type'] ?? '')) {
            const { message } = JSON.parse(answer.body.toString()) as { message: string };
            if (!probe.message.test(message)) failures.push(`${where}: message "${message}"`);
          }
        }
      }
      assert.deepEqual(failures, []);
      assert.ok(checked >= routes.length * (probes.length - 1), `answers were checked (${checked})`);
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'the server still serves');
    });
  }

  it('a known path with another method is 405 with Allow; an unknown path is 404 8011', async () => {
    const wrong = await fetch(`${server.url}/v3/unify`, { method: 'DELETE' });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'POST');
    assert.deepEqual(await wrong.json(), { code: ApiError.MALFORMED_REQUEST.code, message: 'method DELETE is not allowed on this path (allowed: POST)' });
    const unknown = await fetch(`${server.url}/v1/client/no-such-step`);
    assert.equal(unknown.status, 404, 'the CORS preflight route (/v1/client/*) does not make every path known');
    assert.equal(((await unknown.json()) as { code: number }).code, ApiError.NOT_FOUND.code);
  });

  it('the sandbox carrier refuses an unknown session with {code, message}', async () => {
    const response = await fetch(`${server.url}/v1/sandbox/carrier/unknown-token?r=f`);
    assert.equal(response.status, 404);
    assert.deepEqual(await response.json(), { code: ApiError.NOT_FOUND.code, message: 'the carrier does not recognise this session or number' });
  });

  it('an Upgrade request answered as plain HTTP says Connection: close and is closed', async () => {
    const result = await sendRaw(server.url, request('GET', '/healthz', ['Connection: Upgrade', 'Upgrade: h2c']), { timeoutMs: 30_000 });
    assert.equal(result.answer?.status, 200);
    assert.equal(result.answer?.headers.connection, 'close');
    assert.equal(result.timedOut, false, 'the server closed the socket');
  });

  it('bytes pipelined after a request still being served are answered after it, in order', async () => {
    const { answer } = await sendRaw(server.url, `${request('POST', '/v3/unify', ['Authorization: Bearer nope', JSON_TYPE], '{}')}\u0000garbage\r\n\r\n`);
    assert.equal(answer?.status, 401, 'the first request gets its own answer first');
  });
});
