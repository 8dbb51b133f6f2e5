/**
 * The console's pages over a listening socket, on sessions made by real flows (the server API and
 * the client protocol with a real P-256 Prove Key): find a session and read its timeline, see the
 * messages, look up and revoke devices (the next flow then has to prove possession), manage
 * clients (a secret shown once that works at /token), and the overview's chart data. Every read of
 * customer data and every change is audited; no page shows a full number, a code or a message text.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '@handset/protocol';
import { listAudit } from '../../src/admin/audit-log.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { DeviceKey } from '../support/device-key.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend, latestMessage } from '../support/server-api.js';
import { createTestAdmin, get, postForm, signIn, type ConsoleSession } from './support.js';

const NUMBER = '+12025550123';
const MASKED = '+1******0123';
const HTML = { accept: 'text/html' };

/** A mobile flow to the end: key registered, Mobile Auth refused by the carrier, then the SMS code. */
async function otpFlow(backend: Backend, server: TestServer, key: DeviceKey, clientRequestId: string): Promise<string> {
  const started = await backend.unify({ possessionType: 'mobile', phoneNumber: NUMBER, clientRequestId });
  const client = new ProtocolClient(started.authToken!);
  await client.deviceStep(key);
  await client.mobileAuth();
  await client.reportError('mobile/instant', 'Mobile Auth failed', 10002);
  await client.otpStart();
  const { code } = await latestMessage(server, NUMBER);
  assert.deepEqual((await client.otpFinish(code!)).body, { next: 'done' });
  assert.equal((await backend.status(started.correlationId)).success, 'true');
  return started.correlationId;
}

describe('console pages on real flows', () => {
  let server: TestServer;
  let backend: Backend;
  let session: ConsoleSession;
  let adminId: string;
  let correlationId: string;
  const key = new DeviceKey();
  const page = async (path: string): Promise<string> => {
    const response = await get(`${server.url}${path}`, { cookie: session.cookie });
    assert.equal(response.status, 200, path);
    assert.match(response.headers.get('content-security-policy') ?? '', /^default-src 'none'/);
    return response.text();
  };
  const post = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    postForm(`${server.url}${path}`, { _csrf: session.csrf, ...fields }, { cookie: session.cookie, ...headers });
  const actions = async (): Promise<string[]> => (await listAudit(server.server.deps.db.kysely, { adminId, limit: 100 })).entries.map((e) => e.action);

  before(async () => {
    server = await startTestServer();
    backend = Backend.of(server);
    correlationId = await otpFlow(backend, server, key, 'order-4711');
    const admin = await createTestAdmin(server, 'operator');
    adminId = admin.adminId;
    session = await signIn(server, admin);
  });
  after(() => server.close());

  it('finds the session by correlation id, client request id, last digits, client and outcome; numbers masked', async () => {
    for (const query of [
      `correlationId=${correlationId}`,
      'clientRequestId=order-4711',
      'number=0123',
      `number=${encodeURIComponent(MASKED)}`,
      `clientId=${server.clientId}`,
      'outcome=succeeded',
      `from=${new Date().toISOString().slice(0, 10)}`,
    ]) {
      const html = await page(`/admin/sessions?${query}`);
      assert.ok(html.includes(`href="/admin/sessions/${correlationId}"`), query);
      assert.ok(html.includes(MASKED), 'the number is shown masked');
      assert.ok(!html.includes('2025550123'), 'never the full number');
    }
    for (const query of ['outcome=failed', 'number=9999', 'clientRequestId=other', 'to=2020-01-01']) {
      assert.ok(!(await page(`/admin/sessions?${query}`)).includes(correlationId), query);
    }
    assert.ok((await actions()).includes('sessions.search'));
  });

  it('refuses malformed filters: 400 {code, message}, or the page with the reason for a browser', async () => {
    for (const query of ['number=12', 'number=%2B12025550123', 'outcome=maybe', 'from=yesterday', 'from=2026-12-02&to=2026-12-01', 'correlationId=%3Cscript%3E', 'cursor=%21']) {
      const json = await get(`${server.url}/admin/sessions?${query}`, { cookie: session.cookie });
      assert.equal(json.status, 400, query);
      assert.equal(((await json.json()) as { code: number }).code, ApiError.MALFORMED_REQUEST.code);
      const browser = await get(`${server.url}/admin/sessions?${query}`, { cookie: session.cookie, ...HTML });
      assert.equal(browser.status, 400);
      const html = await browser.text();
      assert.match(html, /role="alert"/);
      assert.ok(!html.includes('<script>'), 'what was typed is escaped');
    }
  });

  it('shows the session’s timeline: facts, steps, the SMS (masked, no text); audited', async () => {
    const html = await page(`/admin/sessions/${correlationId}`);
    assert.ok(html.includes('order-4711'));
    assert.ok(html.includes(MASKED));
    assert.ok(!html.includes('2025550123'));
    assert.match(html, /<code>created<\/code>/);
    assert.match(html, /<code>sms<\/code>/);
    assert.match(html, /outbox: delivered/);
    assert.ok(!html.includes('temporary code'), 'no message text');
    const { code } = await latestMessage(server, NUMBER);
    assert.ok(!html.includes(`>${code}<`) && !html.includes(` ${code} `), 'no code');
    assert.ok((await actions()).includes('sessions.read'));
    const unknown = await get(`${server.url}/admin/sessions/no-such-session`, { cookie: session.cookie });
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { code: number }).code, ApiError.NOT_FOUND.code);
    const unknownPage = await get(`${server.url}/admin/sessions/no-such-session`, { cookie: session.cookie, ...HTML });
    assert.equal(unknownPage.status, 404);
    assert.match(await unknownPage.text(), /No session has this correlation id/);
  });

  it('lists recent messages masked, without their text', async () => {
    const html = await page('/admin/messages');
    assert.ok(html.includes(MASKED));
    assert.ok(html.includes(`href="/admin/sessions/${correlationId}"`));
    assert.ok(!html.includes('temporary code') && !html.includes('2025550123'));
  });

  it('the overview carries the day’s funnel and the delivery counts as chart data', async () => {
    const html = await page('/admin');
    const blocks = [...html.matchAll(/<script type="application\/json" data-chart>(.*?)<\/script>/g)].map((m) => JSON.parse(m[1]!) as {
      target: string;
      categories: string[];
      series: Array<{ label: string; values: number[] }>;
    });
    const mobile = blocks.find((b) => b.target === 'conversion-mobile');
    assert.ok(mobile, 'a conversion chart for the mobile channel');
    const today = new Date().toISOString().slice(0, 10);
    const i = mobile.categories.indexOf(today);
    assert.equal(mobile.categories.length, 14);
    assert.deepEqual(mobile.series.map((s) => [s.label, s.values[i]]), [['Started', 1], ['Possession proven', 1], ['Succeeded', 1]]);
    const delivery = blocks.find((b) => b.target === 'delivery');
    assert.deepEqual(delivery?.categories, ['outbox']);
    assert.ok(delivery.series[0]!.values[0]! >= 1, 'messages sent');
    assert.ok((await page('/admin?days=7')).includes('<option value="7" selected>'));
  });

  it('finds devices by exact number only, revokes one (audited), and the next flow has to prove possession', async () => {
    const empty = await page('/admin/devices');
    assert.match(empty, /<label for="number">/);
    const bad = await post('/admin/devices', { number: '0123' });
    assert.equal(bad.status, 400, 'no partial numbers');
    const listed = await post('/admin/devices', { number: NUMBER });
    assert.equal(listed.status, 200);
    const html = await listed.text();
    assert.ok(html.includes(key.deviceId!), 'the key is listed');
    assert.ok(!html.includes('2025550123') || html.includes(`value="${NUMBER}"`), 'the full number only in the form fields');

    const revoked = await post('/admin/devices/revoke', { number: NUMBER, deviceId: key.deviceId! });
    assert.equal(revoked.status, 200);
    assert.match(await revoked.text(), /Revoked device/);
    const row = await server.server.deps.db.kysely.selectFrom('devices').select('revoked_at').where('id', '=', key.deviceId!).executeTakeFirstOrThrow();
    assert.ok(row.revoked_at !== null);
    const audit = await listAudit(server.server.deps.db.kysely, { adminId, action: 'devices.revoke', limit: 5 });
    assert.equal(audit.entries[0]?.target, key.deviceId);
    assert.ok(!JSON.stringify(audit.entries).includes('2025550123'), 'the audit has the number masked');

    // The same device comes back: its key no longer opens anything.
    const again = await backend.unify({ possessionType: 'mobile', phoneNumber: NUMBER });
    const client = new ProtocolClient(again.authToken!);
    const verify = await client.verify(key);
    assert.equal(verify.body.error?.code, 10006, 'the revoked key is refused');
    assert.ok(verify.body.next && verify.body.next !== 'done', `possession is asked for (${verify.body.next})`);

    const unknown = await post('/admin/devices/revoke', { number: NUMBER, deviceId: 'no-such-device' });
    assert.equal(unknown.status, 404);
  });

  it('revokes all keys of a number at once', async () => {
    const a = new DeviceKey();
    const b = new DeviceKey();
    await otpFlow(backend, server, a, 'a');
    await otpFlow(backend, server, b, 'b');
    const response = await post('/admin/devices/revoke-all', { number: NUMBER });
    assert.equal(response.status, 200);
    assert.match(await response.text(), /Revoked 2 devices of this number/);
    const live = await server.server.deps.db.kysely.selectFrom('devices').select('id').where('phone_e164', '=', NUMBER).where('revoked_at', 'is', null).execute();
    assert.deepEqual(live, []);
    assert.ok((await actions()).includes('devices.revoke-number'));
  });

  it('creates a client whose secret is shown once and works; rotates it; disables it', async () => {
    const created = await post('/admin/clients', { name: 'Shop <b>' });
    assert.equal(created.status, 200);
    const html = await created.text();
    const secret = /<code data-secret>([^<]+)<\/code>/.exec(html)?.[1];
    const clientId = /Client id<\/dt><dd><code>([^<]+)</.exec(html)?.[1];
    assert.ok(secret && clientId);
    assert.ok(html.includes('Shop &#60;b&#62;'), 'the name is escaped');
    assert.ok(await new Backend(server.url, clientId, secret).token(), 'the new secret works at /token');
    assert.ok(!(await page('/admin/clients')).includes(secret), 'shown once: not on the list');

    const rotated = await post(`/admin/clients/${clientId}/rotate`, {});
    const newSecret = /<code data-secret>([^<]+)<\/code>/.exec(await rotated.text())?.[1];
    assert.ok(newSecret && newSecret !== secret);
    await assert.rejects(new Backend(server.url, clientId, secret).token(), /401/, 'the old secret no longer works');
    assert.ok(await new Backend(server.url, clientId, newSecret).token());

    const disabled = await post(`/admin/clients/${clientId}/disable`, {});
    assert.equal(disabled.status, 200);
    assert.match(await disabled.text(), /is disabled/);
    await assert.rejects(new Backend(server.url, clientId, newSecret).token(), /401/);
    assert.equal((await post('/admin/clients/hsc_nope/rotate', {})).status, 404);
    assert.equal((await post('/admin/clients', { name: '' })).status, 400);
    const all = await actions();
    for (const action of ['clients.create', 'clients.rotate-secret', 'clients.disable']) assert.ok(all.includes(action), action);
    const audit = JSON.stringify((await listAudit(server.server.deps.db.kysely, { adminId, limit: 100 })).entries);
    assert.ok(!audit.includes(secret) && !audit.includes(newSecret), 'no secret in the audit');
  });

  it('a form without its CSRF token changes nothing', async () => {
    const before = await server.server.deps.db.kysely.selectFrom('clients').select('id').execute();
    const response = await postForm(`${server.url}/admin/clients`, { name: 'sneaky' }, { cookie: session.cookie });
    assert.equal(response.status, 403);
    const wrong = await postForm(`${server.url}/admin/clients`, { name: 'sneaky', _csrf: 'x'.repeat(43) }, { cookie: session.cookie });
    assert.equal(wrong.status, 403);
    const afterwards = await server.server.deps.db.kysely.selectFrom('clients').select('id').execute();
    assert.equal(afterwards.length, before.length);
  });
});
