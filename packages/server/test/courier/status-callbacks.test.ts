/**
 * Provider status callbacks through the courier's routes (both databases): for Twilio
 * (X-Twilio-Signature), Vonage delivery receipts (sig) and the webhook gateway (Standard Webhooks),
 * sent by each fake's own callback sender. A good signature moves the message forward (delivered,
 * or undeliverable with a reason on the message and the session timeline); a backwards status is
 * ignored; a bad, missing or old signature is 401 `{code, message}` and changes nothing; an
 * unreadable callback is 400; an unknown message is accepted (204) and changes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { SMS_CALLBACK_PATHS } from '../../src/http/routes/sms-callbacks.js';
import { TwilioFake } from '../support/fakes/twilio-fake.js';
import { VonageFake } from '../support/fakes/vonage-fake.js';
import { WebhookGatewayFake } from '../support/fakes/webhook-gateway-fake.js';
import { courierEnv, eventually, messageRows } from '../support/courier.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';

const TARGET = 'https://shop.example.com/verified';
const VONAGE_SIGNATURE_SECRET = 'vonage-signature-secret-0123456789';

type Signing = 'good' | 'bad' | 'none' | 'old';

interface Case {
  name: 'twilio' | 'vonage' | 'webhook';
  fake: TwilioFake | VonageFake | WebhookGatewayFake;
  env: () => Record<string, string>;
  /** Sends a status callback for `providerMessageId` (and Handset's `id`) with `status` in the provider's words. */
  send: (url: string, m: { providerMessageId: string; id: string; to: string }, status: 'delivered' | 'sent' | 'failed', signing: Signing) => Promise<number>;
  /** Sends a well-signed callback that lacks the message id or status. */
  sendUnreadable: (url: string) => Promise<number>;
  /** The reason a failure callback leaves on the message. */
  failureReason: string;
}

const twilioFake = new TwilioFake();
const vonageFake = new VonageFake();
const gatewayFake = new WebhookGatewayFake();

const cases: Case[] = [
  {
    name: 'twilio',
    fake: twilioFake,
    env: () => courierEnv([twilioFake]),
    send: (url, m, status, signing) =>
      twilioFake.sendStatusCallback(
        url,
        {
          MessageSid: m.providerMessageId,
          MessageStatus: status === 'failed' ? 'undelivered' : status,
          To: m.to,
          From: '+15005550006',
          AccountSid: twilioFake.accountSid,
          ...(status === 'failed' ? { ErrorCode: '30007' } : {}),
        },
        signing === 'old' ? 'bad' : signing,
      ),
    sendUnreadable: (url) => twilioFake.sendStatusCallback(url, { MessageStatus: 'delivered', AccountSid: twilioFake.accountSid }, 'good'),
    failureReason: 'carrier-filtered',
  },
  {
    name: 'vonage',
    fake: vonageFake,
    env: () => courierEnv([vonageFake], { HANDSET_VONAGE_SIGNATURE_SECRET: VONAGE_SIGNATURE_SECRET }),
    send: (url, m, status, signing) =>
      vonageFake.sendReceipt(
        url,
        {
          msisdn: m.to.slice(1),
          to: 'Handset',
          messageId: m.providerMessageId,
          status: status === 'sent' ? 'accepted' : status,
          'err-code': status === 'failed' ? '1' : '0',
          'message-timestamp': '2026-12-01 12:00:00',
          'client-ref': m.id,
        },
        { method: status === 'delivered' ? 'GET' : 'POST', signing, secret: VONAGE_SIGNATURE_SECRET },
      ),
    sendUnreadable: (url) => vonageFake.sendReceipt(url, { status: 'delivered', msisdn: '12025550159' }, { method: 'POST', signing: 'good', secret: VONAGE_SIGNATURE_SECRET }),
    failureReason: 'rejected',
  },
  {
    name: 'webhook',
    fake: gatewayFake,
    env: () => ({ HANDSET_SMS_PROVIDERS: 'webhook', HANDSET_WEBHOOK_SMS_URL: gatewayFake.endpoint, HANDSET_WEBHOOK_SMS_SECRET: gatewayFake.secret, HANDSET_SMS_POLL_MS: '100' }),
    send: (url, m, status, signing) =>
      gatewayFake.sendStatus(
        url,
        { messageId: m.id, id: m.providerMessageId, status: status === 'failed' ? 'undeliverable' : status, ...(status === 'failed' ? { reason: 'opted-out' } : {}) },
        signing,
      ),
    sendUnreadable: (url) => gatewayFake.sendStatus(url, { status: 'delivered' }, 'good'),
    failureReason: 'opted-out',
  },
];

for (const c of cases) {
  describe(`status callbacks: ${c.name}`, () => {
    let server: TestServer;
    let url: string;
    before(async () => {
      await c.fake.start();
      server = await startTestServer({ overrides: { env: c.env() } });
      url = server.url + SMS_CALLBACK_PATHS[c.name];
    });
    after(async () => {
      await server.close();
      await c.fake.stop();
    });

    /** Starts an Instant Link session to `to` and waits until its message was taken by the provider. */
    const sendOne = async (to: string): Promise<{ id: string; providerMessageId: string; to: string; correlationId: string }> => {
      const started = await Backend.of(server).unify({ possessionType: 'desktop', phoneNumber: to, finalTargetUrl: TARGET });
      await new ProtocolClient(started.authToken!).instantLinkStart();
      const row = await eventually('the message sent', async () =>
        (await messageRows(server.server.deps.db.kysely)).find((r) => r.correlation_id === started.correlationId && r.status === 'sent'),
      );
      return { id: row.id, providerMessageId: row.provider_message_id!, to, correlationId: started.correlationId };
    };
    const statusOf = async (id: string): Promise<{ status: string; last_error: string | null }> => {
      const row = (await messageRows(server.server.deps.db.kysely)).find((r) => r.id === id);
      return { status: row!.status, last_error: row!.last_error };
    };

    it('a well-signed "delivered" moves the message forward; a later "sent" does not move it back', async () => {
      const m = await sendOne('+12025550151');
      assert.ok(c.fake.requests.at(-1)!.body.includes(c.name === 'webhook' ? url : encodeURIComponent(url)), 'the send carried the callback URL');
      assert.equal(await c.send(url, m, 'delivered', 'good'), 204);
      assert.equal((await statusOf(m.id)).status, 'delivered');
      assert.equal(await c.send(url, m, 'sent', 'good'), 204);
      assert.equal((await statusOf(m.id)).status, 'delivered', 'backwards transitions are ignored');
      // The change is on the session's timeline; the ignored one is not.
      const events = await server.server.deps.db.kysely.selectFrom('session_events').selectAll().where('correlation_id', '=', m.correlationId).where('channel', '=', 'sms').execute();
      assert.deepEqual(
        events.filter((e) => e.type.startsWith('sms_')).map((e) => [e.type, e.reason, e.destination]),
        [['sms_delivered', null, '+1******0151']],
      );
    });

    it('a bad or missing signature is 401 {code, message} and changes nothing', async () => {
      const m = await sendOne('+12025550152');
      for (const signing of ['bad', 'none', ...(c.name === 'twilio' ? [] : ['old'])] as Signing[]) {
        const response = await fetchCallback(c, url, m, signing);
        assert.equal(response, 401, signing);
      }
      assert.equal((await statusOf(m.id)).status, 'sent');
    });

    it('a well-signed failure: undeliverable/failed with its reason, on the message and the timeline', async () => {
      const m = await sendOne('+12025550153');
      assert.equal(await c.send(url, m, 'failed', 'good'), 204);
      const after = await statusOf(m.id);
      assert.ok(after.status === 'undeliverable' || after.status === 'failed');
      assert.equal(after.last_error, c.failureReason);
      const events = await server.server.deps.db.kysely.selectFrom('session_events').selectAll().where('correlation_id', '=', m.correlationId).execute();
      assert.ok(events.some((e) => e.type === `sms_${after.status}` && e.reason === c.failureReason && e.channel === 'sms'));
    });

    it('an unknown message id is accepted and changes nothing; an unreadable callback is 400', async () => {
      const before = await messageRows(server.server.deps.db.kysely);
      assert.equal(await c.send(url, { providerMessageId: 'SM00000000000000000000000000000000', id: 'nope', to: '+12025550159' }, 'delivered', 'good'), 204);
      assert.deepEqual(await messageRows(server.server.deps.db.kysely), before);
      assert.equal(await c.sendUnreadable(url), 400, 'well signed, but no message id or status');
      const garbage = await postRaw(url, c.name === 'webhook' ? 'application/json' : 'application/x-www-form-urlencoded', c.name === 'webhook' ? '{' : 'a=1&a=2');
      assert.equal(garbage.status, 400);
      assert.equal(typeof garbage.body.code, 'number');
      assert.equal(typeof garbage.body.message, 'string');
      const unsigned = await postRaw(url, c.name === 'webhook' ? 'application/json' : 'application/x-www-form-urlencoded', c.name === 'webhook' ? '{}' : 'MessageStatus=delivered');
      assert.equal(unsigned.status, 401);
      assert.deepEqual(Object.keys(unsigned.body).sort(), ['code', 'message']);
    });
  });
}

/** The fake's callback sender, for the statuses it returns. */
async function fetchCallback(c: Case, url: string, m: { providerMessageId: string; id: string; to: string }, signing: Signing): Promise<number> {
  return c.send(url, m, 'delivered', signing);
}

async function postRaw(url: string, contentType: string, body: string): Promise<{ status: number; body: { code?: unknown; message?: unknown } }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: response.status, body: (await response.json()) as { code?: unknown; message?: unknown } };
}

describe('Vonage without a signature secret: no receipts are asked for or taken', () => {
  const fake = new VonageFake();
  let server: TestServer;
  before(async () => {
    await fake.start();
    server = await startTestServer({ overrides: { env: courierEnv([fake]) } });
  });
  after(async () => {
    await server.close();
    await fake.stop();
  });

  it('the text carries no callback URL, and the receipt route does not exist (an unsigned receipt could be forged)', async () => {
    const started = await Backend.of(server).unify({ possessionType: 'desktop', phoneNumber: '+12025550189', finalTargetUrl: TARGET });
    await new ProtocolClient(started.authToken!).instantLinkStart();
    const request = await eventually('the text at the fake', () => fake.requests.find((r) => VonageFake.fields(r).get('to') === '12025550189'));
    assert.equal(VonageFake.fields(request).get('callback'), undefined);
    const receipt = await postRaw(`${server.url}${SMS_CALLBACK_PATHS.vonage}`, 'application/x-www-form-urlencoded', 'status=failed&messageId=x&msisdn=12025550189');
    assert.equal(receipt.status, 404);
    assert.equal(receipt.body.code, 8011);
    const row = await eventually('the text recorded as sent', async () =>
      (await messageRows(server.server.deps.db.kysely)).find((r) => r.correlation_id === started.correlationId && r.status === 'sent'),
    );
    assert.equal(row.provider, 'vonage');
  });
});
