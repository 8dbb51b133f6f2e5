/**
 * Acceptance (c): desktop Instant Link. The status socket waits, the link arrives in the
 * outbox, opening it redirects the phone and releases the desktop.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend, latestMessage } from '../support/server-api.js';

const PHONE = '+12025550111';
const TARGET = 'https://shop.example.com/verified';

describe('desktop Instant Link flow', () => {
  let server: TestServer;
  let backend: Backend;
  before(async () => {
    server = await startTestServer();
    backend = Backend.of(server);
  });
  after(() => server.close());

  it('the socket waits, the link redirects the phone, the socket gets {"next":"done"}, status is true without deviceId', async () => {
    const started = await backend.unify({ possessionType: 'desktop', phoneNumber: PHONE, finalTargetUrl: TARGET });
    const client = new ProtocolClient(started.authToken!);
    assert.equal(client.claims.auth.next, 'mobile/instantlink');
    assert.deepEqual(client.claims.auth.subs, { mob: { auths: { inln: { mnp: true } } } });

    const socket = await client.openStatusSocket();
    socket.send('ping');
    assert.equal(await socket.next(), 'pong');

    const startReply = await client.instantLinkStart();
    assert.deepEqual(startReply.body, { next: '', data: {} }, 'decision C3: wait on the socket');
    assert.equal((await backend.status(started.correlationId)).success, 'pending');

    const { link } = await latestMessage(server, PHONE);
    assert.ok(link?.startsWith(`${server.url}/v1/il/`));
    const opened = await fetch(link!, { redirect: 'manual' });
    assert.equal(opened.status, 302);
    const location = new URL(opened.headers.get('location')!);
    assert.equal(`${location.origin}${location.pathname}`, TARGET);
    assert.equal(location.searchParams.get('authId'), client.claims.auth.id);
    assert.equal(location.searchParams.get('asc'), 'true');

    assert.deepEqual(JSON.parse(await socket.next()), { next: 'done' });
    socket.close();

    const status = await backend.status(started.correlationId);
    assert.equal(status.success, 'true');
    assert.equal(status.deviceId, undefined);
    assert.ok(status.proveId);
  });

  it('a socket that connects after the link was opened gets the outcome at once', async () => {
    const started = await backend.unify({ possessionType: 'desktop', phoneNumber: PHONE, finalTargetUrl: TARGET });
    const client = new ProtocolClient(started.authToken!);
    await client.instantLinkStart();
    const { link } = await latestMessage(server, PHONE);
    await fetch(link!, { redirect: 'manual' });
    const socket = await client.openStatusSocket();
    assert.deepEqual(JSON.parse(await socket.next()), { next: 'done' });
    socket.close();
  });

  it('resend replaces the link, a change of number sends to the new number, and resends are bounded', async () => {
    const started = await backend.unify({ possessionType: 'desktop', phoneNumber: PHONE, finalTargetUrl: TARGET });
    const client = new ProtocolClient(started.authToken!);
    await client.instantLinkStart();
    const first = await latestMessage(server, PHONE);
    assert.deepEqual((await client.instantLinkStart('')).body, { next: '', data: {} });
    const second = await latestMessage(server, PHONE);
    assert.notEqual(second.link, first.link);
    assert.equal((await fetch(first.link!, { redirect: 'manual' })).status, 404, 'the replaced link is dead');

    const invalid = await client.instantLinkStart('12');
    assert.equal(invalid.body.next, '');
    assert.equal((invalid.body.data as { code: number }).code, 2, 'a validation error re-asks for the number');
    await client.instantLinkStart('+12025550112');
    const moved = await latestMessage(server, '+12025550112');
    assert.ok(moved.link);
    const before = (await server.outbox()).length;
    for (let i = 0; i < 3; i++) await client.instantLinkStart('');
    assert.equal((await server.outbox()).length, before + 1, 'three resends in all, then no more messages');
    assert.equal((await fetch(moved.link!, { redirect: 'manual' })).status, 404);
    const latest = await latestMessage(server, '+12025550112');
    assert.equal((await fetch(latest.link!, { redirect: 'manual' })).status, 302);
    const status = await backend.status(started.correlationId);
    assert.equal(status.success, 'true');
    assert.equal(status.phoneNumber, '+12025550112');
  });

  it('an unknown link is a 404 page and changes nothing', async () => {
    const response = await fetch(`${server.url}/v1/il/not-a-real-token`, { redirect: 'manual' });
    assert.equal(response.status, 404);
    assert.match(response.headers.get('content-type') ?? '', /text\/html/);
  });

  it('the status socket refuses a bad token with HTTP 401', async () => {
    const client = new ProtocolClient(
      (await backend.unify({ possessionType: 'desktop', phoneNumber: PHONE, finalTargetUrl: TARGET })).authToken!,
    );
    const forged = new ProtocolClient(`${client.authToken.slice(0, -4)}AAAA`);
    await assert.rejects(forged.openStatusSocket(), /HTTP 401/);
  });

  it('Instant Link is refused on a mobile session (step not allowed)', async () => {
    const started = await backend.unify({ possessionType: 'mobile', phoneNumber: PHONE });
    const reply = await new ProtocolClient(started.authToken!).instantLinkStart();
    assert.equal(reply.status, 200);
    assert.equal(reply.body.next, '');
    assert.equal(reply.body.error?.code, 10003);
  });
});
