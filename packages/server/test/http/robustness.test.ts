/**
 * No request produces a 500 or crashes the process: every route gets a battery of odd bodies,
 * methods and headers, and must answer with a documented status and a well-formed body.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { assertNoNull } from '../support/assertions.js';
import { Backend } from '../support/server-api.js';

const ODD_BODIES = [
  'null',
  'true',
  '0',
  '[]',
  '{}',
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"x":1}}}',
  '{"correlationId":null,"phoneNumber":null,"otp":null,"vfp":null,"deviceId":null}',
  '{"correlationId":{"$gt":""},"phoneNumber":["1"],"otp":{},"deviceId":7}',
  `{"phoneNumber":"${'9'.repeat(3000)}"}`,
  '{"phoneNumber":"\\u0000\\u202e+1202"}',
  '{"possessionType":"mobile","clientRequestId":"r","phoneNumber":"+12025550199","finalTargetUrl":"javascript:alert(1)"}',
  '{"registrations":[{"publicKey":{"id":"k","alg":"ES256","key":"-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----"},"signature":"%%%"}]}',
  '{"deviceId":"d","keyId":"k","signature":"!!!"}',
  '\u00ff\u00fe',
  '{"a":'.repeat(200),
];

describe('robustness', () => {
  let server: TestServer;
  let bearer: string;
  let authToken: string;
  before(async () => {
    server = await startTestServer();
    const backend = Backend.of(server);
    bearer = await backend.token();
    authToken = (await backend.unify({ possessionType: 'mobile', phoneNumber: '+12025550199' })).authToken!;
  });
  after(() => server.close());

  const routes = [
    ['/token', 'none'],
    ['/v3/unify', 'bearer'],
    ['/v3/unify-status', 'bearer'],
    ['/v3/unify-bind', 'bearer'],
    ['/v3/device/revoke', 'bearer'],
    ['/v1/client/device/passive/register', 'auth'],
    ['/v1/client/device/passive/verify', 'auth'],
    ['/v1/client/mobile/instant/start', 'auth'],
    ['/v1/client/mobile/instant/finish', 'auth'],
    ['/v1/client/mobile/otp/start', 'auth'],
    ['/v1/client/mobile/otp/finish', 'auth'],
    ['/v1/client/mobile/instantlink/start', 'auth'],
    ['/v1/client/mobile/otp/error', 'auth'],
    ['/v1/client/challenge', 'none'],
    ['/v1/client/device/unregister', 'none'],
  ] as const;

  for (const [path, auth] of routes) {
    it(`${path} answers every odd body with a documented status`, async () => {
      for (const body of ODD_BODIES) {
        for (const contentType of ['application/json', 'application/x-www-form-urlencoded', 'application/json; charset=utf-8']) {
          const headers: Record<string, string> = { 'content-type': contentType };
          if (auth === 'bearer') headers.authorization = `Bearer ${bearer}`;
          if (auth === 'auth') headers.authorization = `Bearer ${authToken}`;
          const response = await fetch(server.url + path, { method: 'POST', headers, body });
          assert.ok([200, 400, 401, 403, 404].includes(response.status), `${path} ${body.slice(0, 40)} → ${response.status}`);
          const parsed = (await response.json()) as Record<string, unknown>;
          assertNoNull(parsed);
          if (response.status !== 200) assert.deepEqual(Object.keys(parsed).sort(), ['code', 'message']);
        }
      }
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
    });
  }

  it('odd methods, headers and paths get JSON errors, and the server still serves afterwards', async () => {
    const attempts: Array<[string, RequestInit]> = [
      ['/v3/unify', { method: 'GET' }],
      ['/v3/unify', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' }],
      ['/v3/unify', { method: 'POST', headers: { authorization: 'Bearer' } }],
      ['/v3/unify', { method: 'POST', headers: { authorization: `Bearer ${'x'.repeat(5000)}` } }],
      ['/v1/client/status', { method: 'GET' }],
      ['/v1/client/status?token=abc', { method: 'GET' }],
      ['/v1/il/%ff%fe', { method: 'GET' }],
      ['/v1/sandbox/carrier/x', { method: 'GET' }],
      ['/%2e%2e/%2e%2e/etc/passwd', { method: 'GET' }],
    ];
    for (const [path, init] of attempts) {
      const response = await fetch(server.url + path, { ...init, redirect: 'manual' });
      assert.ok(response.status >= 200 && response.status < 500, `${init.method} ${path} → ${response.status}`);
      await response.arrayBuffer();
    }
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });
});
