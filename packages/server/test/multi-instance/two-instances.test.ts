/**
 * Two `handset serve` processes on one PostgreSQL database, as behind a load balancer: a desktop
 * waiting on instance A is released when the phone opens the Instant Link on instance B (LISTEN /
 * NOTIFY, well before the socket's own 15 s re-check); an OTP flow and a Mobile Auth flow
 * alternate their calls between A and B; SIGTERM closes status sockets with 1001 and the desktop
 * carries on through the other instance.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClientErrorCode, ValidationCode } from '@handset/protocol';
import { createScratchSchema, type ScratchSchema } from '../../src/store/scratch-schema.js';
import { DeviceKey } from '../support/device-key.js';
import { createClientWithCli, latestSms, multiInstanceDatabase, startInstance, type Instance } from '../support/instances.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';

const database = multiInstanceDatabase();
const TARGET = 'https://shop.example.com/verified';
/** Recognised by the sandbox carrier of both instances. */
const MOBILE_AUTH_PHONE = '+12025550171';

/** Well under the status socket's 15 s re-check: only an event can release the desktop this early. */
const EVENT_WAIT_MS = 8000;

describe('two instances on one PostgreSQL database', { skip: database.skip }, () => {
  let scratch: ScratchSchema;
  let a: Instance;
  let b: Instance;
  let onA: Backend;
  let onB: Backend;

  before(async () => {
    scratch = await createScratchSchema(database.url!, 'hs_multi');
    // Both start at once on an empty schema: migrations and the generated signing key must not race.
    // A gets the database with --database, B with HANDSET_DATABASE_URL.
    const env = { HANDSET_MOBILE_AUTH_NUMBERS: MOBILE_AUTH_PHONE };
    [a, b] = await Promise.all([startInstance(scratch.url, env, 'flag'), startInstance(scratch.url, env, 'env')]);
    const credentials = await createClientWithCli(scratch.url);
    onA = new Backend(a.url, credentials.clientId, credentials.clientSecret);
    onB = new Backend(b.url, credentials.clientId, credentials.clientSecret);
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await scratch?.drop();
  });

  it('the desktop waits on A, the phone opens the Instant Link on B, A releases the desktop', async () => {
    const phone = '+12025550161';
    const started = await onA.unify({ possessionType: 'desktop', phoneNumber: phone, finalTargetUrl: TARGET });
    const desktop = new ProtocolClient(started.authToken!);
    assert.equal(desktop.endp, a.url);

    const socket = await desktop.openStatusSocket();
    socket.send('ping');
    assert.equal(await socket.next(), 'pong');
    assert.deepEqual((await desktop.instantLinkStart()).body, { next: '', data: {} });

    const { linkPath } = await latestSms(b.url, phone);
    assert.ok(linkPath?.startsWith('/v1/il/'));
    const opened = await fetch(b.url + linkPath, { redirect: 'manual' });
    assert.equal(opened.status, 302, 'B accepts a link A sent');
    assert.equal(new URL(opened.headers.get('location')!).searchParams.get('asc'), 'true');

    assert.deepEqual(JSON.parse(await socket.next(EVENT_WAIT_MS)), { next: 'done' }, 'released through NOTIFY');
    socket.close();
    const status = await onB.status(started.correlationId);
    assert.equal(status.success, 'true');
    assert.ok(status.proveId);
  });

  it('an OTP flow alternating between A and B completes, and the bound key is recognised on both', async () => {
    const phone = '+12025550162';
    const key = new DeviceKey();
    const started = await onA.unify({ possessionType: 'mobile', phoneNumber: phone, allowOTPRetry: true });
    const viaA = new ProtocolClient(started.authToken!, a.url);
    const viaB = viaA.via(b.url);

    const registered = await viaB.deviceStep(key);
    assert.equal(registered.body.next, 'mobile/instant');
    const mobileAuth = await viaA.mobileAuth();
    assert.equal(mobileAuth.carrierStatus, 404, 'the carrier does not know this number');
    assert.equal((await viaB.reportError('mobile/instant', 'carrier refused', ClientErrorCode.AUTHENTICATION_EXTERNAL_FAILURE)).body.next, 'mobile/otp');
    assert.deepEqual((await viaA.otpStart()).body, { next: 'mobile/otp' });

    const { code } = await latestSms(b.url, phone);
    assert.ok(code);
    const wrong = code === '0000' ? '1111' : '0000';
    const rejected = await viaB.otpFinish(wrong);
    assert.equal(rejected.body.next, 'mobile/otp');
    assert.equal(rejected.body.data?.code, ValidationCode.INVALID_OTP);
    assert.deepEqual((await viaA.otpFinish(code!)).body, { next: 'done' });

    const status = await onB.status(started.correlationId);
    assert.equal(status.success, 'true');
    assert.equal(status.deviceId, key.deviceId);

    // The key is now bound to the number: a new session on B verifies it through A, with no SMS.
    const again = await onB.unify({ possessionType: 'mobile', phoneNumber: phone });
    const verified = await new ProtocolClient(again.authToken!, a.url).deviceStep(key);
    assert.deepEqual(verified.body, { next: 'done' });
    assert.equal((await onA.status(again.correlationId)).success, 'true');
  });

  it('Mobile Auth started on A is confirmed by the carrier URL on B and finished on A', async () => {
    const key = new DeviceKey();
    const started = await onB.unify({ possessionType: 'mobile', phoneNumber: MOBILE_AUTH_PHONE });
    const viaA = new ProtocolClient(started.authToken!, a.url);
    assert.equal((await viaA.deviceStep(key)).body.next, 'mobile/instant');
    const start = await viaA.call<{ next: string; data?: { redirectUrl: string } }>('/v1/client/mobile/instant/start', {
      cellularIp: null,
      implementation: 'fetch',
    });
    const redirect = new URL(start.body.data!.redirectUrl);
    const carrier = await fetch(`${b.url}${redirect.pathname}?r=f&sdkVersion=3.2.5`);
    assert.equal(carrier.status, 200);
    const { vfp } = (await carrier.json()) as { vfp: string };
    assert.deepEqual((await viaA.call('/v1/client/mobile/instant/finish', { vfp })).body, { next: 'done' }, 'A accepts the vfp B issued');
    assert.equal((await onB.status(started.correlationId)).success, 'true');
  });

  it('SIGTERM on B closes its status sockets with 1001; the desktop reconnects to A and is released there', async () => {
    const phone = '+12025550163';
    const started = await onA.unify({ possessionType: 'desktop', phoneNumber: phone, finalTargetUrl: TARGET });
    const desktop = new ProtocolClient(started.authToken!, b.url);
    const onBSocket = await desktop.openStatusSocket();
    await desktop.instantLinkStart();

    const exit = b.stop();
    const closed = await onBSocket.closed(EVENT_WAIT_MS);
    assert.equal(closed.code, 1001);
    assert.equal(await exit, 0, 'a clean shutdown exits 0');

    const onASocket = await desktop.via(a.url).openStatusSocket();
    const { linkPath } = await latestSms(a.url, phone);
    assert.equal((await fetch(a.url + linkPath!, { redirect: 'manual' })).status, 302);
    assert.deepEqual(JSON.parse(await onASocket.next(EVENT_WAIT_MS)), { next: 'done' });
    onASocket.close();
  });
});
