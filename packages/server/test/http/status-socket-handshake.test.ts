/**
 * The status socket refuses a bad handshake with `{code, message}` before the WebSocket library
 * sees it (the library would answer bare text/html), and its `token` query parameter given twice
 * is a 400, not the 500 issue 9 found (`token.split is not a function`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '@handset/protocol';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { assertErrorBody } from '../support/assertions.js';
import { Backend } from '../support/server-api.js';
import { sendRaw, type RawAnswer } from '../fuzz/raw-http.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

function handshake(target: string, headers: Record<string, string> = {}, method = 'GET'): string {
  const all: Record<string, string> = {
    Host: 'socket.example',
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Key': KEY,
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  const lines = Object.entries(all)
    .filter(([, value]) => value !== '')
    .map(([name, value]) => `${name}: ${value}\r\n`);
  return `${method} ${target} HTTP/1.1\r\n${lines.join('')}\r\n`;
}

function json(answer: RawAnswer | null): unknown {
  assert.ok(answer, 'an answer');
  assert.match(answer.headers['content-type'] ?? '', /^application\/json/);
  return JSON.parse(answer.body.toString());
}

describe('status socket handshake', () => {
  let server: TestServer;
  let authToken: string;
  let path: string;
  before(async () => {
    server = await startTestServer();
    authToken = (await Backend.of(server).unify({ possessionType: 'desktop', phoneNumber: '+12025550100', finalTargetUrl: 'https://example.com/done' })).authToken!;
    path = `/v1/client/status?token=${encodeURIComponent(authToken)}`;
  });
  after(() => server.close());

  it('a well-formed handshake with a live authToken is upgraded (101)', async () => {
    const { answer } = await sendRaw(server.url, handshake(path));
    assert.equal(answer?.status, 101);
    assert.equal(answer?.headers.upgrade?.toLowerCase(), 'websocket');
  });

  it('the token given twice is 400 8001, even the same valid token, with or without an upgrade', async () => {
    const twice = `${path}&token=${encodeURIComponent(authToken)}`;
    for (const bytes of [handshake(twice), `GET ${twice} HTTP/1.1\r\nHost: socket.example\r\n\r\n`, handshake('/v1/client/status?token=a&token=b')]) {
      const { answer } = await sendRaw(server.url, bytes);
      assert.equal(answer?.status, 400);
      assertErrorBody(json(answer), ApiError.MALFORMED_REQUEST.code, /^query parameter 'token' is given more than once$/);
    }
  });

  it('a plain GET (no upgrade) is 426 with Upgrade: websocket', async () => {
    const response = await fetch(server.url + path);
    assert.equal(response.status, 426);
    assert.equal(response.headers.get('upgrade'), 'websocket');
    assertErrorBody(await response.json(), ApiError.MALFORMED_REQUEST.code, /needs a WebSocket upgrade/);
    const head = await fetch(server.url + path, { method: 'HEAD' });
    assert.equal(head.status, 426, 'HEAD cannot be upgraded either');
  });

  it('a malformed handshake is 400 {code, message}, never the library text/html', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ 'Sec-WebSocket-Key': '' }, /Sec-WebSocket-Key/],
      [{ 'Sec-WebSocket-Key': 'too-short' }, /Sec-WebSocket-Key/],
      [{ 'Sec-WebSocket-Version': '' }, /Sec-WebSocket-Version/],
      [{ 'Sec-WebSocket-Version': '12' }, /Sec-WebSocket-Version/],
      [{ Upgrade: 'h2c' }, /Upgrade header must be websocket/],
      // Checked by the library itself after the authToken, answered through its wsClientError event.
      [{ 'Sec-WebSocket-Protocol': 'a b, ,' }, /Sec-WebSocket-Protocol/],
    ];
    for (const [headers, message] of cases) {
      const { answer } = await sendRaw(server.url, handshake(path, headers));
      assert.equal(answer?.status, 400, JSON.stringify(headers));
      assertErrorBody(json(answer), ApiError.MALFORMED_REQUEST.code, message);
    }
    const version = await sendRaw(server.url, handshake(path, { 'Sec-WebSocket-Version': '12' }));
    assert.equal(version.answer?.headers['sec-websocket-version'], '13', 'the refusal names the version served');
  });

  it('a missing, malformed or unknown authToken is 401; one over 4096 characters is 400', async () => {
    for (const target of ['/v1/client/status', '/v1/client/status?token=', '/v1/client/status?token=abc', `/v1/client/status?token=${authToken.slice(0, -4)}AAAA`]) {
      const { answer } = await sendRaw(server.url, handshake(target));
      assert.equal(answer?.status, 401, target.slice(0, 40));
      assertErrorBody(json(answer), ApiError.UNAUTHORIZED.code);
    }
    const { answer } = await sendRaw(server.url, handshake(`/v1/client/status?token=${'a'.repeat(5000)}`));
    assert.equal(answer?.status, 400);
    assertErrorBody(json(answer), ApiError.MALFORMED_REQUEST.code, /^query parameter 'token' is too long/);
  });

  it('another method on the socket path is 405 with Allow', async () => {
    const response = await fetch(server.url + path, { method: 'POST' });
    assert.equal(response.status, 405);
    assert.deepEqual(response.headers.get('allow')?.split(', ').sort(), ['GET', 'HEAD', 'OPTIONS'], 'OPTIONS: the CORS preflight of /v1/client/*');
    assertErrorBody(await response.json(), ApiError.MALFORMED_REQUEST.code, /not allowed/);
  });
});
