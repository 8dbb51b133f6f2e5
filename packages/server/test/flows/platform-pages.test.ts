/**
 * The platform's other surfaces: the dev outbox (HTML and JSON), Mobile Auth's pixel
 * implementation, health and readiness, and /openapi.json generated from the schemas.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';

describe('platform pages', () => {
  let server: TestServer;
  let backend: Backend;
  before(async () => {
    server = await startTestServer({ mobileAuthNumbers: ['+12025550161'] });
    backend = Backend.of(server);
  });
  after(() => server.close());

  it('the outbox answers JSON newest first and HTML for people', async () => {
    for (const phoneNumber of ['+12025550162', '+12025550163']) {
      const started = await backend.unify({ possessionType: 'mobile', phoneNumber });
      const client = new ProtocolClient(started.authToken!);
      await client.reportError('device/passive', 'x');
      await client.otpStart();
    }
    const json = await fetch(`${server.url}/dev/outbox`, { headers: { accept: 'application/json' } });
    const { messages } = (await json.json()) as { messages: Array<{ to: string; body: string; sentAt: string }> };
    assert.deepEqual(Object.keys(messages[0]!).sort(), ['body', 'sentAt', 'to']);
    assert.equal(messages[0]!.to, '+12025550163', 'newest first');
    assert.equal(messages[1]!.to, '+12025550162');
    assert.ok(!Number.isNaN(Date.parse(messages[0]!.sentAt)));
    const html = await fetch(`${server.url}/dev/outbox`);
    assert.match(html.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await html.text(), /SMS outbox[\s\S]*\+12025550163/);
  });

  it('the outbox is not served in production mode', async () => {
    // Production mode starts only with a way to deliver texts: sandbox mode stands in for an SMS provider.
    const production = await startTestServer({ sandbox: true, config: { production: true } });
    try {
      assert.equal((await fetch(`${production.url}/dev/outbox`)).status, 404);
    } finally {
      await production.close();
    }
  });

  it('Mobile Auth pixel: the carrier answers an image, and finish with an empty vfp passes', async () => {
    const started = await backend.unify({ possessionType: 'mobile', phoneNumber: '+12025550161' });
    const client = new ProtocolClient(started.authToken!);
    await client.reportError('device/passive', 'x');
    const start = await client.call<{ next: string; data: { redirectUrl: string } }>('/v1/client/mobile/instant/start', { cellularIp: null, implementation: 'pixel' });
    const pixel = await fetch(`${start.body.data.redirectUrl}?sdkVersion=3.2.5`);
    assert.equal(pixel.status, 200);
    assert.equal(pixel.headers.get('content-type'), 'image/gif');
    assert.deepEqual((await client.call('/v1/client/mobile/instant/finish', { vfp: '' })).body, { next: 'done' });
    assert.equal((await backend.status(started.correlationId)).success, 'true');
  });

  it('Mobile Auth with a forged vfp falls back to OTP with error 10001', async () => {
    const started = await backend.unify({ possessionType: 'mobile', phoneNumber: '+12025550161' });
    const client = new ProtocolClient(started.authToken!);
    await client.reportError('device/passive', 'x');
    await client.call('/v1/client/mobile/instant/start', { cellularIp: null, implementation: 'fetch' });
    const finish = await client.call('/v1/client/mobile/instant/finish', { vfp: 'forged' });
    assert.deepEqual(finish.body.next, 'mobile/otp');
    assert.equal(finish.body.error?.code, 10001);
    assert.equal((await backend.status(started.correlationId)).success, 'pending');
  });

  it('health, readiness and the OpenAPI document', async () => {
    assert.deepEqual(await (await fetch(`${server.url}/healthz`)).json(), { status: 'ok' });
    assert.deepEqual(await (await fetch(`${server.url}/readyz`)).json(), { status: 'ready' });
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, { post?: { requestBody?: unknown } }> };
    assert.equal(doc.openapi, '3.1.0');
    for (const path of ['/token', '/v3/unify', '/v3/unify-status', '/v3/unify-bind', '/v3/device/revoke']) {
      assert.ok(doc.paths[path]?.post, `${path} is documented`);
    }
    const unify = JSON.stringify(doc.paths['/v3/unify']);
    assert.match(unify, /possessionType/);
    assert.match(unify, /finalTargetUrl/);
  });
});
