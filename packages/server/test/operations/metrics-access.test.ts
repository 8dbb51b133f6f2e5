/**
 * Who may read `/metrics` (docs/operations.md, "Protecting /metrics"): a bearer token, a second
 * listener on an internal address, both, off in production without either, open in development;
 * each refusal is `{code, message}`, and start-up says which mode is in force.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import type { Writable } from 'node:stream';
import { createLogger } from '../../src/deps.js';
import { freePort, startTestServer, type TestServer, type TestServerOptions } from '../../src/testing.js';
import { parsePrometheusText } from '../support/prometheus-text.js';

const TOKEN = 'metrics-token-0123456789abcdef';

/** A test server whose log lines (warn and above) are kept. */
async function serverWithLog(options: TestServerOptions): Promise<{ server: TestServer; lines: () => Array<{ level: number; msg: string }> }> {
  const raw: string[] = [];
  const destination = { write: (line: string) => raw.push(line) } as unknown as Writable;
  const server = await startTestServer({ ...options, overrides: { log: createLogger('info', destination) } });
  return { server, lines: () => raw.map((l) => JSON.parse(l) as { level: number; msg: string }) };
}

async function assertError(response: Response, status: number, code: number): Promise<{ code: number; message: string }> {
  assert.equal(response.status, status);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await response.json()) as { code: number; message: string };
  assert.deepEqual(Object.keys(body).sort(), ['code', 'message']);
  assert.equal(body.code, code);
  assert.ok(body.message.length > 0);
  return body;
}

/** Sends raw bytes and returns the whole answer (the connection is closed by the server). */
async function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('/metrics access', () => {
  it('with a token: none, a wrong one, or a malformed header is 401 8002; the right one scrapes', async () => {
    const { server, lines } = await serverWithLog({ config: { metricsToken: TOKEN } });
    try {
      const url = `${server.url}/metrics`;
      const missing = await fetch(url);
      assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="metrics"');
      const body = await assertError(missing, 401, 8002);
      assert.ok(!body.message.includes(TOKEN), 'the message never shows the token');
      for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, TOKEN, 'Bearer', `Bearer ${TOKEN} extra`]) {
        await assertError(await fetch(url, { headers: { authorization } }), 401, 8002);
      }
      const ok = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(ok.status, 200);
      assert.ok(parsePrometheusText(await ok.text()).has('handset_sessions_started_total'));
      assert.equal((await fetch(url, { headers: { authorization: `bearer ${TOKEN}` } })).status, 200, 'the scheme is case-insensitive');
      // Two Authorization headers: refused before the token is read (docs/errors.md, repeated values).
      const doubled = await rawRequest(
        Number(new URL(server.url).port),
        `GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`,
      );
      assert.match(doubled, /^HTTP\/1\.1 400 /);
      assert.match(doubled, /"code":8001/);
      // inject() goes through the same check.
      assert.equal((await server.server.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
      assert.ok(lines().some((l) => /bearer token required/.test(l.msg)), 'start-up names the mode');
      assert.ok(!JSON.stringify(lines()).includes(TOKEN), 'the token is never logged');
    } finally {
      await server.close();
    }
  });

  it('with an internal address: served there alone, not on the public port; errors are {code, message}', async () => {
    const port = await freePort();
    const { server, lines } = await serverWithLog({ config: { metricsAddress: { host: '127.0.0.1', port } } });
    try {
      await assertError(await fetch(`${server.url}/metrics`), 404, 8011);
      const internal = `http://127.0.0.1:${port}`;
      const ok = await fetch(`${internal}/metrics`);
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('cache-control'), 'no-store');
      const families = parsePrometheusText(await ok.text());
      assert.ok(families.has('handset_http_request_duration_seconds'));
      const head = await fetch(`${internal}/metrics`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(await head.text(), '');
      assert.equal((await fetch(`${internal}/metrics?x=1`)).status, 200, 'a query string is ignored');
      await assertError(await fetch(`${internal}/`), 404, 8011);
      await assertError(await fetch(`${internal}/v3/unify`, { method: 'POST', body: '{}' }), 404, 8011);
      const post = await fetch(`${internal}/metrics`, { method: 'POST', body: '' });
      assert.equal(post.headers.get('allow'), 'GET, HEAD');
      await assertError(post, 405, 8001);
      const malformed = await rawRequest(port, 'GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n');
      assert.match(malformed, /^HTTP\/1\.1 400 /);
      assert.match(malformed, /\{"code":8001,"message":"[^"]+"\}$/);
      assert.ok(lines().some((l) => l.msg === 'metrics: internal listener'));
    } finally {
      await server.close();
    }
    // Closed with the app: the port is free again.
    const again = await fetch(`http://127.0.0.1:${port}/metrics`).then(
      () => 'answered',
      () => 'refused',
    );
    assert.equal(again, 'refused');
  });

  it('with both: the internal listener also wants the token', async () => {
    const port = await freePort();
    const server = await startTestServer({ config: { metricsAddress: { host: '127.0.0.1', port }, metricsToken: TOKEN } });
    try {
      const internal = `http://127.0.0.1:${port}/metrics`;
      const refused = await fetch(internal);
      assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="metrics"');
      await assertError(refused, 401, 8002);
      await assertError(await fetch(internal, { headers: { authorization: 'Bearer wrong-token-0123456789' } }), 401, 8002);
      assert.equal((await fetch(internal, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
      const doubled = await rawRequest(port, `GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`);
      assert.match(doubled, /^HTTP\/1\.1 400 /);
      await assertError(await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } }), 404, 8011);
    } finally {
      await server.close();
    }
  });

  it('an internal address already taken fails the start instead of running without metrics', async () => {
    const first = await startTestServer({ config: { metricsAddress: { host: '127.0.0.1', port: await freePort() } } });
    try {
      await assert.rejects(startTestServer({ config: { metricsAddress: first.server.deps.config.metricsAddress } }), /EADDRINUSE/);
    } finally {
      await first.close();
    }
  });

  it('production without a token or an address: off (404), and start-up says so', async () => {
    // Production mode starts only with a way to deliver texts: sandbox mode stands in for an SMS provider.
    const { server, lines } = await serverWithLog({ sandbox: true, config: { production: true } });
    try {
      await assertError(await fetch(`${server.url}/metrics`), 404, 8011);
      const warning = lines().find((l) => /^METRICS OFF/.test(l.msg));
      assert.ok(warning, 'a clear line at start');
      assert.equal(warning.level, 40, 'at warn level');
    } finally {
      await server.close();
    }
  });

  it('development without either: open on the public port, with a warning', async () => {
    const { server, lines } = await serverWithLog({});
    try {
      assert.equal((await fetch(`${server.url}/metrics`)).status, 200);
      assert.ok(lines().some((l) => l.level === 40 && /\/metrics is open on the public port/.test(l.msg)));
    } finally {
      await server.close();
    }
  });
});
