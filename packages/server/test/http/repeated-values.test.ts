/**
 * Query parameters, the headers the platform reads and form fields are held to the rule bodies
 * follow: each once. Fastify parses `a=1&a=2` into an array; Node keeps only the first of two
 * `Authorization` (or `Content-Type`, `Host`) headers and joins two `PA-*` headers with ", ", so
 * either way the server would read something the client did not send. Headers the platform does
 * not read as one value (Accept, X-Forwarded-For) may repeat.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '@handset/protocol';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { assertErrorBody } from '../support/assertions.js';
import { Backend } from '../support/server-api.js';
import { sendRaw } from '../fuzz/raw-http.js';

function post(path: string, headers: string[], body: string, version = 'HTTP/1.1'): string {
  return `POST ${path} ${version}\r\n${headers.map((h) => `${h}\r\n`).join('')}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

describe('repeated query parameters, headers and form fields', () => {
  let server: TestServer;
  let bearer: string;
  const unifyBody = '{"possessionType":"mobile","clientRequestId":"r","phoneNumber":"+12025550100"}';
  before(async () => {
    server = await startTestServer();
    bearer = await Backend.of(server).token();
  });
  after(() => server.close());

  it('a query parameter given twice is 400 on every kind of route; given once, or unknown, it is accepted', async () => {
    for (const path of ['/healthz', '/openapi.json', '/dev/outbox', '/v1/il/abc', '/v1/sandbox/carrier/abc', '/v3/unify', '/token', '/no/such/route']) {
      const response = await fetch(`${server.url}${path}?r=f&r=f`);
      assert.equal(response.status, 400, path);
      assert.deepEqual(await response.json(), { code: ApiError.MALFORMED_REQUEST.code, message: "query parameter 'r' is given more than once" });
    }
    assert.equal((await fetch(`${server.url}/healthz?r=f&x=1`)).status, 200, 'distinct parameters, unknown ones ignored');
    const once = await fetch(`${server.url}/v3/unify?x=1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: unifyBody,
    });
    assert.equal(once.status, 200);
  });

  it('a second Authorization header is 400, even when both are the same valid token', async () => {
    const auth = `Authorization: Bearer ${bearer}`;
    const single = await sendRaw(server.url, post('/v3/unify', ['Host: x', auth, 'Content-Type: application/json'], unifyBody));
    assert.equal(single.answer?.status, 200, 'the control: one header is served');
    for (const second of [auth, 'Authorization: Bearer other']) {
      const { answer } = await sendRaw(server.url, post('/v3/unify', ['Host: x', auth, second, 'Content-Type: application/json'], unifyBody));
      assert.equal(answer?.status, 400);
      assertErrorBody(JSON.parse(answer!.body.toString()), ApiError.MALFORMED_REQUEST.code, /^header 'authorization' is given more than once$/);
    }
  });

  it('Content-Type, Host and the request-signature headers may not repeat; Accept and X-Forwarded-For may', async () => {
    const base = ['Host: x', `Authorization: Bearer ${bearer}`, 'Content-Type: application/json'];
    for (const extra of ['Content-Type: application/json', 'Host: y', 'PA-Signature: a', 'PA-KID: k', 'PA-Challenge: c', 'PA-Version: v', 'PA-Sig-Version: 3']) {
      const headers = extra.startsWith('PA-') ? [...base, extra, extra] : [...base, extra];
      const { answer } = await sendRaw(server.url, post('/v3/unify', headers, unifyBody));
      assert.equal(answer?.status, 400, extra);
      const name = extra.slice(0, extra.indexOf(':')).toLowerCase();
      assertErrorBody(JSON.parse(answer!.body.toString()), ApiError.MALFORMED_REQUEST.code, new RegExp(`^header '${name}' is given more than once$`));
    }
    const joined = await sendRaw(server.url, post('/v3/unify', [...base, 'Accept: application/json', 'Accept: */*', 'X-Forwarded-For: 1.2.3.4', 'X-Forwarded-For: 5.6.7.8'], unifyBody));
    assert.equal(joined.answer?.status, 200);
  });

  it('HTTP/1.1 without Host is 400 {code, message}; HTTP/1.0 needs none', async () => {
    const missing = await sendRaw(server.url, 'GET /healthz HTTP/1.1\r\n\r\n');
    assert.equal(missing.answer?.status, 400);
    assertErrorBody(JSON.parse(missing.answer!.body.toString()), ApiError.MALFORMED_REQUEST.code, /^the Host header is missing$/);
    const old = await sendRaw(server.url, 'GET /healthz HTTP/1.0\r\n\r\n');
    assert.equal(old.answer?.status, 200);
  });

  it('a /token form field given twice is 400; each once is served', async () => {
    const form = (fields: string) =>
      fetch(`${server.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields });
    const good = `grant_type=client_credentials&client_id=${server.clientId}&client_secret=${server.clientSecret}`;
    assert.equal((await form(good)).status, 200);
    const twice = await form(`${good}&client_id=${server.clientId}`);
    assert.equal(twice.status, 400);
    assert.deepEqual(await twice.json(), { code: ApiError.MALFORMED_REQUEST.code, message: "field 'client_id' is given more than once" });
    const proto = await form(`${good}&__proto__=x&__proto__=y`);
    assert.equal(proto.status, 400, 'a name like __proto__ is a field like any other');
  });
});
