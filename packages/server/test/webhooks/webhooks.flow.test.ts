/**
 * Signed outcome webhooks (issue 12 item 5, docs/webhooks.md) from real flows, over sockets, on
 * both databases: signatures verify with the `standardwebhooks` package and with @handset/node;
 * a 500 is retried and the event processed once (the receiver deduplicates by webhook-id);
 * redelivery by id; a masked number unless the endpoint opted in; a rolled-back step enqueues
 * nothing; session.succeeded (OTP), session.possession_required + device.bound (customer-supplied
 * bind), device.revoked (/v3/device/revoke).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { verifyWebhook } from '../../../node/src/index.ts';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { runSessionStep } from '../../src/flows/session-tx.js';
import { addWebhookEndpoint } from '../../src/webhooks/endpoints-repo.js';
import { listDeliveries, redeliver } from '../../src/webhooks/queue.js';
import { cryptoRandom } from '../../src/ports/random.js';
import { revokeDevicesOfNumber } from '../../src/admin/admin-queries.js';
import { webhookEnqueueDeps } from '../../src/webhooks/wiring.js';
import { DeviceKey } from '../support/device-key.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend, latestMessage } from '../support/server-api.js';
import { WebhookReceiver } from './receiver.js';

const OTP_NUMBER = '+12025550181';
const BIND_NUMBER = '+12025550182';

describe('outcome webhooks', () => {
  const receiver = new WebhookReceiver();
  let server: TestServer;
  let backend: Backend;
  let maskedSecret: string;
  let fullSecret: string;
  let maskedId: string;
  before(async () => {
    await receiver.start();
    server = await startTestServer({ overrides: { env: { HANDSET_WEBHOOK_RETRY_BASE_MS: '50', HANDSET_WEBHOOK_POLL_MS: '50' } } });
    backend = Backend.of(server);
    const db = server.server.deps.db.kysely;
    const masked = await addWebhookEndpoint(db, { random: cryptoRandom, now: Date.now() }, { clientId: server.clientId, url: `${receiver.url}/masked` });
    const full = await addWebhookEndpoint(
      db,
      { random: cryptoRandom, now: Date.now() },
      { clientId: server.clientId, url: `${receiver.url}/full`, events: 'session.succeeded', includePhone: true },
    );
    maskedSecret = masked.secret;
    fullSecret = full.secret;
    maskedId = masked.endpointId;
  });
  after(async () => {
    await server.close();
    await receiver.stop();
  });

  it('session.succeeded from an OTP flow: signed, retried after a 500, processed once, masked unless opted in', async () => {
    receiver.script.push(500);
    const started = await backend.unify({ possessionType: 'mobile', phoneNumber: OTP_NUMBER });
    const client = new ProtocolClient(started.authToken!);
    await client.reportError('device/passive', 'no storage');
    await client.otpStart();
    const { code } = await latestMessage(server, OTP_NUMBER);
    assert.equal((await client.otpFinish(code!)).body.next, 'done');
    const ours = (r: { body: string }) => r.body.includes(started.correlationId);
    await receiver.until((all) => all.filter((r) => ours(r) && r.status === 200).length >= 2, 'two accepted session.succeeded deliveries');

    const masked = receiver.events('session.succeeded', '/masked').filter(ours);
    const full = receiver.events('session.succeeded', '/full').filter(ours);
    assert.equal(masked.length + full.length, 3, 'one 500 and two accepted deliveries');
    const failedFirst = [...masked, ...full].find((r) => r.status === 500)!;
    const retried = [...masked, ...full].find((r) => r.status === 200 && r.headers['webhook-id'] === failedFirst.headers['webhook-id']);
    assert.ok(retried, 'the 500 was retried with the same webhook-id');
    assert.equal([...receiver.processed.keys()].filter((id) => id === failedFirst.headers['webhook-id']).length, 1);

    const accepted = masked.find((r) => r.status === 200)!;
    const headers = { 'webhook-id': String(accepted.headers['webhook-id']), 'webhook-timestamp': String(accepted.headers['webhook-timestamp']), 'webhook-signature': String(accepted.headers['webhook-signature']) };
    const byPackage = new Webhook(maskedSecret).verify(accepted.body, headers) as { data: Record<string, unknown> };
    assert.equal(byPackage.data.correlationId, started.correlationId);
    assert.equal((await verifyWebhook(accepted.body, accepted.headers, maskedSecret)).type, 'session.succeeded');
    assert.throws(() => new Webhook(fullSecret).verify(accepted.body, headers), 'another endpoint secret does not verify it');
    assert.equal(byPackage.data.phoneNumberMasked, '+1******0181');
    assert.ok(!accepted.body.includes(OTP_NUMBER), 'no full number without --include-phone');
    assert.ok(!accepted.body.includes(OTP_NUMBER.slice(1)), 'not even without the plus');

    const opted = full.find((r) => r.status === 200)!;
    assert.equal((JSON.parse(opted.body) as { data: { phoneNumber: string } }).data.phoneNumber, OTP_NUMBER, 'the opted-in endpoint gets the number');

    const rows = (await listDeliveries(server.server.deps.db.kysely)).filter((d) => d.payload.includes(started.correlationId));
    assert.ok(rows.every((d) => d.status === 'delivered'));
    assert.deepEqual(rows.map((d) => d.attempts).sort(), [1, 2]);
  });

  it('redelivery by id sends the same webhook-id again; the receiver processes it once', async () => {
    const delivered = (await listDeliveries(server.server.deps.db.kysely, { endpointId: maskedId })).find((d) => d.status === 'delivered')!;
    const before = receiver.received.filter((r) => r.headers['webhook-id'] === delivered.id).length;
    assert.equal(await redeliver(server.server.deps.db.kysely, delivered.id, Date.now()), true);
    await receiver.until((all) => all.filter((r) => r.headers['webhook-id'] === delivered.id).length > before, 'the redelivery');
    assert.ok(receiver.processed.has(delivered.id));
    assert.equal([...receiver.processed.keys()].filter((id) => id === delivered.id).length, 1);
    assert.equal(await redeliver(server.server.deps.db.kysely, 'msg_unknown', Date.now()), false, 'an unknown id');
    assert.equal(await redeliver(server.server.deps.db.kysely, delivered.id, Date.now(), 'another-client'), false, "another client's delivery");
  });

  it('a rolled-back step enqueues nothing', async () => {
    const started = await backend.unify({ possessionType: 'mobile', phoneNumber: '+12025550183' });
    const count = async () => (await listDeliveries(server.server.deps.db.kysely)).filter((d) => d.payload.includes(started.correlationId)).length;
    await assert.rejects(
      runSessionStep(
        server.server.deps,
        { column: 'correlation_id', value: started.correlationId },
        async (ctx) => {
          assert.equal(ctx.apply({ type: 'expired' }).ok, true);
          throw new Error('the step fails after its state change');
        },
        () => undefined,
      ),
      /the step fails/,
    );
    assert.equal(await count(), 0);
    // The same change committed does enqueue (the check above is not vacuous).
    await runSessionStep(server.server.deps, { column: 'correlation_id', value: started.correlationId }, async (ctx) => void ctx.apply({ type: 'expired' }), () => undefined);
    assert.equal(await count(), 1, 'session.failed for the masked endpoint only (the other takes session.succeeded)');
  });

  it('possession_required and device.bound from a customer-supplied bind; device.revoked from /v3/device/revoke', async () => {
    const key = new DeviceKey();
    const started = await backend.unify({ possessionType: 'none', phoneNumber: BIND_NUMBER });
    const client = new ProtocolClient(started.authToken!);
    assert.equal((await client.deviceStep(key)).body.next, 'done');
    assert.equal((await backend.status(started.correlationId)).success, 'possession_required');
    await receiver.until((all) => all.some((r) => r.body.includes('session.possession_required') && r.body.includes(started.correlationId)), 'possession_required');
    const required = receiver.events('session.possession_required', '/masked').find((r) => r.event.data.correlationId === started.correlationId)!;
    assert.equal(required.event.data.reason, '9100');

    assert.equal((await backend.bind(started.correlationId, BIND_NUMBER)).body.success, 'true');
    await receiver.until((all) => all.some((r) => r.body.includes('device.bound') && r.body.includes(key.deviceId!)), 'device.bound');
    const bound = receiver.events('device.bound', '/masked').find((r) => r.event.data.deviceId === key.deviceId!)!;
    assert.equal(bound.event.data.correlationId, started.correlationId);
    assert.ok(!bound.body.includes(BIND_NUMBER));
    assert.equal(receiver.events('device.bound', '/full').length, 0, 'the /full endpoint takes session.succeeded only');

    const revoked = await backend.post('/v3/device/revoke', { clientRequestId: 'r', deviceId: key.deviceId! });
    assert.equal(revoked.status, 200);
    await receiver.until((all) => all.some((r) => r.body.includes('device.revoked') && r.body.includes(key.deviceId!)), 'device.revoked');
    // A second revocation is not a second event.
    assert.equal((await backend.post('/v3/device/revoke', { clientRequestId: 'r', deviceId: key.deviceId! })).status, 200);
    const rows = (await listDeliveries(server.server.deps.db.kysely)).filter((d) => d.eventType === 'device.revoked' && d.payload.includes(key.deviceId!));
    assert.equal(rows.length, 1);
  });
  /** A customer-supplied bind of `key` (registered now) to `number`; returns the session it ran in. */
  async function bindNewKey(key: DeviceKey, number: string): Promise<{ correlationId: string }> {
    const started = await backend.unify({ possessionType: 'none', phoneNumber: number });
    await new ProtocolClient(started.authToken!).deviceStep(key);
    assert.equal((await backend.bind(started.correlationId, number)).body.success, 'true');
    return started;
  }

  it('a key already bound to the number proves it again: session.succeeded, and no second device.bound', async () => {
    const key = new DeviceKey();
    const number = '+12025550185';
    const first = await bindNewKey(key, number);
    const again = await backend.unify({ possessionType: 'none', phoneNumber: number });
    assert.equal((await new ProtocolClient(again.authToken!).deviceStep(key)).body.next, 'done');
    assert.equal((await backend.status(again.correlationId)).success, 'true');
    const deliveries = await listDeliveries(server.server.deps.db.kysely);
    const of = (type: string, correlationId: string) => deliveries.filter((d) => d.eventType === type && d.payload.includes(correlationId));
    assert.ok(of('session.succeeded', again.correlationId).length > 0, 'the second success is announced');
    assert.equal(of('device.bound', first.correlationId).length, 1, 'the first bind');
    assert.equal(of('device.bound', again.correlationId).length, 0, 'nothing was bound the second time');
  });

  it('device.revoked from the admin revocation of a number (the same repository call)', async () => {
    const key = new DeviceKey();
    const number = '+12025550184';
    await bindNewKey(key, number);
    const deps = server.server.deps;
    const ids = await deps.db.kysely.transaction().execute((trx) => revokeDevicesOfNumber(trx, number, deps.clock.now(), webhookEnqueueDeps(deps)));
    assert.deepEqual(ids, [key.deviceId]);
    await receiver.until((all) => all.some((r) => r.body.includes('device.revoked') && r.body.includes(key.deviceId!)), 'device.revoked (admin)');
    const event = receiver.events('device.revoked', '/masked').find((r) => r.event.data.deviceId === key.deviceId)!;
    assert.equal(event.event.data.phoneNumberMasked, '+1******0184');
  });
});
