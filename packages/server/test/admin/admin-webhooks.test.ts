/**
 * The admin API's webhook routes (`/admin/v1/clients/{clientId}/webhooks…`), on the database of
 * the pass, through inject() and over a listening socket with a real receiver: add (the secret
 * once, verifiable with `standardwebhooks`), list (never a secret), rotate, the deliveries of a
 * real OTP flow, redelivery by id (same webhook-id, received again), remove; each call audited
 * without the secret or the URL's path; another client's endpoint or delivery is a 404 like an
 * unknown one; bad bodies are 400 {code, message}.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { createAdmin } from '../../src/admin/admins-repo.js';
import { listAudit } from '../../src/admin/audit-log.js';
import type { Executor } from '../../src/store/executor.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { assertErrorBody } from '../support/assertions.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend, latestMessage } from '../support/server-api.js';
import { WebhookReceiver } from '../webhooks/receiver.js';

const NUMBER = '+12025550171';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

describe('admin API: webhooks of a client', () => {
  const receiver = new WebhookReceiver();
  let server: TestServer;
  let db: Executor;
  let token: string;
  let other: { clientId: string };

  async function call(method: 'GET' | 'POST', url: string, body?: unknown): Promise<Answer> {
    const reply = await server.server.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(body !== undefined && { payload: body as object }) });
    return { status: reply.statusCode, body: JSON.parse(reply.body) as Record<string, unknown> };
  }
  const base = () => `/admin/v1/clients/${server.clientId}/webhooks`;

  before(async () => {
    await receiver.start();
    server = await startTestServer({ overrides: { env: { HANDSET_WEBHOOK_RETRY_BASE_MS: '50', HANDSET_WEBHOOK_POLL_MS: '50' } } });
    db = server.server.deps.db.kysely;
    other = await server.createClient('other');
    const admin = await createAdmin(db, { name: 'ops' }, { clock: server.server.deps.clock, random: server.server.deps.random });
    const signed = await server.server.app.inject({ method: 'POST', url: '/admin/v1/token', payload: admin });
    token = (JSON.parse(signed.body) as { access_token: string }).access_token;
  });
  after(async () => {
    await server.close();
    await receiver.stop();
  });

  it('add, list, rotate, deliveries of a real flow, redeliver, remove: each audited, the secret only in its answer', async () => {
    const added = await call('POST', base(), { url: `${receiver.url}/hooks/s3cr3t-path`, events: ['session.succeeded'] });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    const endpoint = added.body.endpoint as { endpointId: string; events: string[]; includePhone: boolean; clientId: string };
    const secret = added.body.secret as string;
    assert.match(secret, /^whsec_/);
    assert.deepEqual(endpoint.events, ['session.succeeded']);
    assert.equal(endpoint.includePhone, false);
    assert.equal(endpoint.clientId, server.clientId);

    const listed = await call('GET', base());
    assert.equal(listed.status, 200);
    assert.deepEqual((listed.body.endpoints as Array<{ endpointId: string }>).map((e) => e.endpointId), [endpoint.endpointId]);
    assert.ok(!JSON.stringify(listed.body).includes(secret), 'no secret in the list');
    assert.deepEqual((await call('GET', `/admin/v1/clients/${other.clientId}/webhooks`)).body, { endpoints: [] }, "another client's list is its own");

    // A real OTP flow: session.succeeded is delivered, signed with the secret the API gave.
    const backend = Backend.of(server);
    const started = await backend.unify({ possessionType: 'mobile', phoneNumber: NUMBER });
    const phone = new ProtocolClient(started.authToken!);
    await phone.reportError('device/passive', 'no storage');
    await phone.otpStart();
    assert.equal((await phone.otpFinish((await latestMessage(server, NUMBER)).code!)).body.next, 'done');
    await receiver.until((all) => all.some((r) => r.body.includes(started.correlationId) && r.status === 200), 'session.succeeded');
    const first = receiver.received.find((r) => r.body.includes(started.correlationId))!;
    const headers = { 'webhook-id': String(first.headers['webhook-id']), 'webhook-timestamp': String(first.headers['webhook-timestamp']), 'webhook-signature': String(first.headers['webhook-signature']) };
    assert.doesNotThrow(() => new Webhook(secret).verify(first.body, headers), 'the secret from the API verifies the delivery');

    // The receiver has it; the dispatcher records the answer right after.
    let deliveries = await call('GET', `${base()}/deliveries?endpointId=${endpoint.endpointId}`);
    for (let i = 0; i < 200 && (deliveries.body.deliveries as Array<{ status: string }>)[0]?.status !== 'delivered'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      deliveries = await call('GET', `${base()}/deliveries?endpointId=${endpoint.endpointId}`);
    }
    assert.equal(deliveries.status, 200, JSON.stringify(deliveries.body));
    const [delivery] = deliveries.body.deliveries as Array<{ webhookId: string; status: string; attempts: number; eventType: string; deliveredAt: string | null }>;
    assert.equal(delivery!.webhookId, headers['webhook-id']);
    assert.equal(delivery!.eventType, 'session.succeeded');
    assert.equal(delivery!.status, 'delivered');
    assert.equal(delivery!.attempts, 1);
    assert.ok(delivery!.deliveredAt);
    assert.ok(!JSON.stringify(deliveries.body).includes('phoneNumberMasked'), 'no payload in the list');

    const redelivered = await call('POST', `${base()}/deliveries/${delivery!.webhookId}/redeliver`);
    assert.deepEqual(redelivered, { status: 200, body: { webhookId: delivery!.webhookId, status: 'pending' } });
    await receiver.until((all) => all.filter((r) => r.headers['webhook-id'] === delivery!.webhookId).length >= 2, 'the redelivery');
    assert.equal(receiver.processed.has(delivery!.webhookId), true);

    const rotated = await call('POST', `${base()}/${endpoint.endpointId}/rotate-secret`);
    assert.equal(rotated.status, 200);
    assert.equal(rotated.body.endpointId, endpoint.endpointId);
    assert.match(rotated.body.secret as string, /^whsec_/);
    assert.notEqual(rotated.body.secret, secret);

    const removed = await call('POST', `${base()}/${endpoint.endpointId}/remove`);
    assert.deepEqual(removed, { status: 200, body: { removed: endpoint.endpointId } });
    assert.deepEqual((await call('GET', base())).body, { endpoints: [] });

    const audit = (await listAudit(db, { limit: 50 })).entries.filter((e) => e.action.startsWith('webhooks.'));
    assert.deepEqual(
      audit.map((e) => e.action).reverse(),
      ['webhooks.add', 'webhooks.list', 'webhooks.list', 'webhooks.deliveries', 'webhooks.redeliver', 'webhooks.rotate-secret', 'webhooks.remove', 'webhooks.list'],
    );
    const text = JSON.stringify(audit);
    assert.ok(!text.includes(secret) && !text.includes(rotated.body.secret as string), 'no secret in the audit');
    assert.ok(!text.includes('s3cr3t-path'), "the audit keeps the receiver's host, not its path");
    assert.equal(audit.find((e) => e.action === 'webhooks.add')!.target, endpoint.endpointId);
  });

  it("another client's endpoint or delivery is a 404 like an unknown one, and is left alone", async () => {
    const theirs = await call('POST', `/admin/v1/clients/${other.clientId}/webhooks`, { url: 'https://hooks.example.com/x' });
    assert.equal(theirs.status, 200);
    const theirId = (theirs.body.endpoint as { endpointId: string }).endpointId;
    for (const [method, url] of [
      ['POST', `${base()}/${theirId}/rotate-secret`],
      ['POST', `${base()}/${theirId}/remove`],
      ['POST', `${base()}/we_unknown/remove`],
      ['POST', `${base()}/deliveries/msg_unknown/redeliver`],
      ['GET', '/admin/v1/clients/hsc_unknown/webhooks'],
      ['POST', '/admin/v1/clients/hsc_unknown/webhooks'],
      ['GET', '/admin/v1/clients/hsc_unknown/webhooks/deliveries'],
    ] as const) {
      const answer = await call(method, url, method === 'POST' && url.endsWith('/webhooks') ? { url: 'https://hooks.example.com/y' } : undefined);
      assert.equal(answer.status, 404, `${method} ${url}: ${JSON.stringify(answer.body)}`);
      assertErrorBody(answer.body, 8011);
    }
    const still = (await call('GET', `/admin/v1/clients/${other.clientId}/webhooks`)).body.endpoints as Array<{ endpointId: string }>;
    assert.deepEqual(still.map((e) => e.endpointId), [theirId]);
  });

  it('bad bodies and parameters are 400 {code, message}, never a 500', async () => {
    const bad: Array<[string, unknown]> = [
      ['no url', {}],
      ['an ftp URL', { url: 'ftp://hooks.example.com/' }],
      ['credentials in the URL', { url: 'https://user:pw@hooks.example.com/' }],
      ['not a URL', { url: 'not a url' }],
      ['an unknown event', { url: 'https://hooks.example.com/', events: ['session.won'] }],
      ['no event', { url: 'https://hooks.example.com/', events: [] }],
      ['an unknown field', { url: 'https://hooks.example.com/', secret: 'whsec_mine' }],
      ['includePhone not a boolean', { url: 'https://hooks.example.com/', includePhone: 'yes' }],
    ];
    for (const [what, body] of bad) {
      const answer = await call('POST', base(), body);
      assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.body)}`);
      assertErrorBody(answer.body, 8001);
    }
    assert.equal((await call('GET', `${base()}/deliveries?limit=0`)).status, 400);
    assert.equal((await call('GET', `${base()}/deliveries?endpointId=we_x%25`)).status, 400);
    assert.equal((await call('GET', `${base()}/deliveries?other=1`)).status, 400);
    assert.deepEqual((await call('GET', base())).body, { endpoints: [] }, 'nothing was added');
  });

  it('over a listening socket: add and list', async () => {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const added = await fetch(`${server.url}${base()}`, { method: 'POST', headers, body: JSON.stringify({ url: 'https://hooks.example.com/socket', includePhone: true }) });
    assert.equal(added.status, 200);
    const { endpoint } = (await added.json()) as { endpoint: { endpointId: string; includePhone: boolean; events: string[] } };
    assert.equal(endpoint.includePhone, true);
    assert.equal(endpoint.events.length, 6, 'every event by default');
    const listed = (await (await fetch(`${server.url}${base()}`, { headers })).json()) as { endpoints: Array<{ endpointId: string }> };
    assert.ok(listed.endpoints.some((e) => e.endpointId === endpoint.endpointId));
    const refused = await fetch(`${server.url}${base()}`);
    assert.equal(refused.status, 401);
    assertErrorBody(await refused.json(), 8002);
  });
});
