/**
 * A text the courier gives up on reaches its session (issue 11 §1: "permanent errors reach the
 * session"): when it carried the live proof, the session ends `failed` with reason 9801, a waiting
 * desktop hears it on its status socket, and `unify-status` says why. A text to an earlier number
 * failing after a change of number ends nothing: the proof for the new number still counts; nor
 * does a first text giving up after its resend to the same number arrived.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FailureReason } from '@handset/protocol';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { DeviceKey } from '../support/device-key.js';
import { TwilioFake } from '../support/fakes/twilio-fake.js';
import { courierEnv, eventually, receivedBy, sentMessage } from '../support/courier.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';

const UNDELIVERABLE = { [FailureReason.MESSAGE_UNDELIVERABLE]: 'The text could not be delivered to the phone number.' };

describe('a text given up on reaches its session', () => {
  const fake = new TwilioFake();
  let server: TestServer;
  let backend: Backend;
  before(async () => {
    await fake.start();
    // Retries come fast here (a short backoff; a timeout short enough for the hanging texts, long
    // enough that an answering fake on a loaded machine is not taken for a hang); nothing asserts how fast.
    server = await startTestServer({
      overrides: { env: courierEnv([fake], { HANDSET_SMS_TIMEOUT_MS: '1500', HANDSET_SMS_RETRY_BASE_MS: '50' }) },
    });
    backend = Backend.of(server);
  });
  after(async () => {
    await server.close();
    await fake.stop();
  });

  it('desktop: the Instant Link cannot be delivered → the waiting desktop is told, unify-status says false with 9801', async () => {
    fake.always('opted-out');
    try {
      const started = await backend.unify({ possessionType: 'desktop', phoneNumber: '+12025550181', finalTargetUrl: 'https://shop.example.com/done' });
      const client = new ProtocolClient(started.authToken!);
      const socket = await client.openStatusSocket();
      assert.deepEqual((await client.instantLinkStart()).body, { next: '', data: {} });
      const pushed = JSON.parse(await socket.next(30_000)) as { next?: string; error?: unknown };
      assert.notDeepEqual(pushed, { next: 'done' }, 'the desktop is not told it succeeded');
      socket.close();
      const status = await backend.status(started.correlationId);
      assert.equal(status.success, 'false');
      assert.deepEqual(status.evaluation, { authentication: { result: 'fail', failureReasons: UNDELIVERABLE } });
    } finally {
      fake.always('success');
    }
  });

  it('mobile: the code cannot be delivered → the session fails with 9801 and the code step is refused', async () => {
    fake.always('invalid-number');
    try {
      const started = await backend.unify({ possessionType: 'mobile', phoneNumber: '+12025550182' });
      const client = new ProtocolClient(started.authToken!);
      await client.deviceStep(new DeviceKey());
      await client.reportError('mobile/instant', 'Mobile Auth failed', 10002);
      assert.deepEqual((await client.otpStart()).body, { next: 'mobile/otp' });
      const status = await eventually('the session to fail', async () => {
        const s = await backend.status(started.correlationId);
        return s.success === 'false' ? s : undefined;
      });
      assert.deepEqual(status.evaluation, { authentication: { result: 'fail', failureReasons: UNDELIVERABLE } });
      const finish = await client.otpFinish('123456');
      assert.notDeepEqual(finish.body, { next: 'done' }, 'nothing can finish a failed session');
      assert.equal((await backend.status(started.correlationId)).success, 'false');
    } finally {
      fake.always('success');
    }
  });

  it('one of two texts to the same number giving up while the other arrived ends nothing: the live code finishes', async () => {
    const phone = '+12025550185';
    // The first text hangs (a retryable timeout); of the resend and the first's retry, one goes
    // through and the other is refused for good: the number was reached, so the session still waits.
    fake.script('hang', 'success').always('invalid-number');
    try {
      const started = await backend.unify({ possessionType: 'mobile', phoneNumber: phone });
      const client = new ProtocolClient(started.authToken!);
      await client.deviceStep(new DeviceKey());
      await client.reportError('mobile/instant', 'Mobile Auth failed', 10002);
      assert.deepEqual((await client.otpStart()).body, { next: 'mobile/otp' });
      await eventually('the first text to reach the fake', () => fake.requests.map(sentMessage).some((m) => m.to === phone));
      assert.deepEqual((await client.otpStart()).body, { next: 'mobile/otp' }, 'a resend');
      const db = server.server.deps.db.kysely;
      const statuses = async (): Promise<string[]> =>
        (await db.selectFrom('sms_outbox').select(['status']).where('correlation_id', '=', started.correlationId).orderBy('sent_at').execute()).map((r) => r.status);
      await eventually('the first text given up on and the resend sent', async () => {
        const s = await statuses();
        return s.length === 2 && s.includes('undeliverable') && s.includes('sent');
      });
      assert.equal((await backend.status(started.correlationId)).success, 'pending', 'the number was reached');
      // The live code is the resend's (the newest row; bodies are kept until the session ends).
      const newest = await db.selectFrom('sms_outbox').select(['body']).where('correlation_id', '=', started.correlationId).orderBy('sent_at', 'desc').executeTakeFirstOrThrow();
      const code = /\b(\d{4,6})\b/.exec(newest.body)![1]!;
      assert.deepEqual((await client.otpFinish(code)).body, { next: 'done' });
      assert.equal((await backend.status(started.correlationId)).success, 'true');
    } finally {
      fake.always('success');
    }
  });

  it('a text to the previous number failing after a change of number ends nothing: the new number proves possession', async () => {
    const first = '+12025550183';
    const second = '+12025550184';
    // The first text hangs (a retryable timeout), the second goes through, and the first's retry is
    // then refused for good: by then the session waits for the second number's code.
    fake.script('hang', 'success').always('invalid-number');
    try {
      const started = await backend.unify({ possessionType: 'mobile', phoneNumber: first });
      const client = new ProtocolClient(started.authToken!);
      await client.deviceStep(new DeviceKey());
      await client.reportError('mobile/instant', 'Mobile Auth failed', 10002);
      assert.deepEqual((await client.otpStart()).body, { next: 'mobile/otp' });
      await eventually('the first text to reach the fake', () => fake.requests.map(sentMessage).some((m) => m.to === first));
      assert.deepEqual((await client.otpStart(second)).body, { next: 'mobile/otp' });
      const { code } = await receivedBy(fake, second);
      const db = server.server.deps.db.kysely;
      await eventually('the first text given up on', async () => {
        const row = await db.selectFrom('sms_outbox').select(['status']).where('correlation_id', '=', started.correlationId).where('to_e164', '=', first).executeTakeFirst();
        return row?.status === 'undeliverable';
      });
      // The give-up is judged by its own step after the courier's commit: wait for its entry, then
      // check that it ended nothing.
      await eventually('the timeline to show the give-up judged and refused', async () => {
        const events = await db.selectFrom('session_events').select(['type']).where('correlation_id', '=', started.correlationId).execute();
        return events.some((e) => e.type === 'refused:message_failed');
      });
      assert.equal((await backend.status(started.correlationId)).success, 'pending', 'the session still waits for the second number');
      assert.deepEqual((await client.otpFinish(code!)).body, { next: 'done' });
      assert.equal((await backend.status(started.correlationId)).success, 'true');
    } finally {
      fake.always('success');
    }
  });
});
