/**
 * @module webhooks.verify.test
 * `verifyWebhook` against signatures made by the `standardwebhooks` package (the reference
 * implementation Handset's server signs with), and every way a webhook must be refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { verifyWebhook, WebhookVerificationError } from '../src/index.ts';

const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
const OTHER = `whsec_${Buffer.from('another secret of thirty-two by.').toString('base64')}`;
const NOW = Date.parse('2030-01-01T00:00:00Z');
const BODY = JSON.stringify({ type: 'session.succeeded', timestamp: '2030-01-01T00:00:00.000Z', data: { correlationId: 'c1' } });

function signed(secret = SECRET, at = NOW, body = BODY, id = 'msg_1'): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, new Date(at), body),
  };
}

const refused = (pattern: RegExp) => (error: unknown) => error instanceof WebhookVerificationError && pattern.test(error.message);

describe('verifyWebhook', () => {
  it('accepts a standardwebhooks signature and returns the event', async () => {
    const event = await verifyWebhook(BODY, signed(), SECRET, { now: NOW });
    assert.equal(event.type, 'session.succeeded');
    assert.deepEqual(event.data, { correlationId: 'c1' });
  });

  it('accepts Headers, mixed-case names, a Uint8Array body and the reference verifier agrees', async () => {
    const h = signed(SECRET, Date.now());
    const headers = new Headers(h);
    const event = await verifyWebhook(new TextEncoder().encode(BODY), headers, SECRET);
    assert.equal(event.type, 'session.succeeded');
    const upper = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toUpperCase(), v]));
    assert.equal((await verifyWebhook(BODY, upper, SECRET)).type, 'session.succeeded');
    assert.deepEqual(new Webhook(SECRET).verify(BODY, h), JSON.parse(BODY));
  });

  it('accepts when one of several signatures matches (secret rotation)', async () => {
    const h = signed();
    const old = signed(OTHER)['webhook-signature'];
    h['webhook-signature'] = `${old} v2,abc ${h['webhook-signature']}`;
    assert.equal((await verifyWebhook(BODY, h, SECRET, { now: NOW })).type, 'session.succeeded');
  });

  it('refuses another secret, a changed body, a changed id, and an unknown version', async () => {
    await assert.rejects(verifyWebhook(BODY, signed(OTHER), SECRET, { now: NOW }), refused(/no signature matches/));
    await assert.rejects(verifyWebhook(`${BODY} `, signed(), SECRET, { now: NOW }), refused(/no signature matches/));
    await assert.rejects(verifyWebhook(BODY, { ...signed(), 'webhook-id': 'msg_2' }, SECRET, { now: NOW }), refused(/no signature matches/));
    const v2 = signed();
    v2['webhook-signature'] = v2['webhook-signature']!.replace('v1,', 'v2,');
    await assert.rejects(verifyWebhook(BODY, v2, SECRET, { now: NOW }), refused(/no signature matches/));
  });

  it('refuses timestamps more than five minutes off, either way', async () => {
    await assert.rejects(verifyWebhook(BODY, signed(SECRET, NOW - 301_000), SECRET, { now: NOW }), refused(/too far/));
    await assert.rejects(verifyWebhook(BODY, signed(SECRET, NOW + 301_000), SECRET, { now: NOW }), refused(/too far/));
    assert.equal((await verifyWebhook(BODY, signed(SECRET, NOW - 299_000), SECRET, { now: NOW })).type, 'session.succeeded');
    await assert.rejects(verifyWebhook(BODY, { ...signed(), 'webhook-timestamp': 'soon' }, SECRET, { now: NOW }), refused(/not a number/));
  });

  it('refuses missing headers and a malformed secret', async () => {
    const { 'webhook-signature': _dropped, ...noSignature } = signed();
    await assert.rejects(verifyWebhook(BODY, noSignature, SECRET, { now: NOW }), refused(/missing/));
    await assert.rejects(verifyWebhook(BODY, {}, SECRET, { now: NOW }), refused(/missing/));
    await assert.rejects(verifyWebhook(BODY, signed(), 'whsec_***', { now: NOW }), refused(/not whsec_/));
  });
});
