/**
 * Abuse bounds on everything reachable without a client secret (issue 9 §4), over real sockets
 * on a real database: challenge rows per device and per address, per-address and global
 * budgets, Instant Link and carrier pages, `/token` (per client, per address, failures apart),
 * authToken calls bounded per session and not per address, and access tokens handed out again
 * instead of a row per request. Addresses other than 127.0.0.1 come through X-Forwarded-For
 * from a trusted loopback proxy (HANDSET_TRUST_PROXY).
 */
import { get as httpGet } from 'node:http';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '@handset/protocol';
import { loadConfig, type AbuseLimits } from '../../src/config.js';
import { rotateClientSecret } from '../../src/flows/clients.js';
import { ManualClock } from '../../src/ports/clock.js';
import { SMS_CALLBACK_PATHS } from '../../src/http/routes/sms-callbacks.js';
import { twilioSignature } from '../../src/sms/providers/twilio-callback.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { assertErrorBody } from '../support/assertions.js';
import { courierEnv } from '../support/courier.js';
import { TwilioFake } from '../support/fakes/twilio-fake.js';
import { postJson, ProtocolClient, type Reply } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';

const RATE_LIMITED = ApiError.RATE_LIMITED.code;
const DEFAULT_LIMITS = loadConfig({}, {}).limits;

async function serverWith(limits: Partial<AbuseLimits>, extra: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  return startTestServer({ limits, config: { trustProxy: ['loopback'] }, ...extra });
}

function from(address: string): Record<string, string> {
  return { 'x-forwarded-for': address };
}

/** A 429 with `{code: 8012, message}` and a Retry-After of 1..`maxSeconds` seconds. */
function assertLimited(reply: { status: number; body: unknown; retryAfter: string | null }, maxSeconds: number): void {
  assert.equal(reply.status, 429, `status ${reply.status}: ${JSON.stringify(reply.body)}`);
  assertErrorBody(reply.body, RATE_LIMITED);
  const seconds = Number(reply.retryAfter);
  assert.ok(Number.isInteger(seconds) && seconds >= 1 && seconds <= maxSeconds, `Retry-After ${reply.retryAfter}`);
}

async function send(
  url: string,
  init: { method?: string; body?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: unknown; retryAfter: string | null; cors: string | null }> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  } else if (init.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.body);
  }
  const response = await fetch(url, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, redirect: 'manual' });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // an HTML page (Instant Link)
  }
  return { status: response.status, body: parsed, retryAfter: response.headers.get('retry-after'), cors: response.headers.get('access-control-allow-origin') };
}

const challenge = (server: TestServer, deviceId: string, headers: Record<string, string> = {}) =>
  send(`${server.url}/v1/client/challenge`, { body: { deviceId }, headers });

async function challengeRows(server: TestServer, deviceId?: string): Promise<number> {
  let query = server.server.deps.db.kysely.selectFrom('challenges').select((eb) => eb.fn.countAll<number>().as('n'));
  if (deviceId !== undefined) query = query.where('device_id', '=', deviceId);
  return Number((await query.executeTakeFirstOrThrow()).n);
}

async function accessTokenRows(server: TestServer): Promise<number> {
  const row = await server.server.deps.db.kysely
    .selectFrom('access_tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

const tokenForm = (clientId: string, clientSecret: string) => ({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret });

describe('challenges without credentials', () => {
  it(`one address asking with random deviceIds writes at most ${DEFAULT_LIMITS.challengesPerIp} rows (the default cap)`, async () => {
    const server = await startTestServer({ limits: DEFAULT_LIMITS });
    try {
      const replies: Array<Awaited<ReturnType<typeof challenge>>> = [];
      for (let batch = 0; batch < 40; batch++) {
        replies.push(...(await Promise.all(Array.from({ length: 10 }, () => challenge(server, randomUUID())))));
      }
      const issued = replies.filter((r) => r.status === 200);
      const limited = replies.filter((r) => r.status !== 200);
      assert.equal(issued.length, DEFAULT_LIMITS.challengesPerIp);
      for (const reply of limited) assertLimited(reply, 300);
      assert.equal(await challengeRows(server), DEFAULT_LIMITS.challengesPerIp);
    } finally {
      await server.close();
    }
  });

  it('a device asking again gets its live challenge back, a new one only after half its lifetime, and its expired ones are deleted', async () => {
    const clock = new ManualClock(Date.now());
    const server = await serverWith({ challengesPerIp: 3 }, { overrides: { clock } });
    try {
      const first = await challenge(server, 'device-1');
      assert.equal(first.status, 200);
      for (let i = 0; i < 20; i++) assert.deepEqual((await challenge(server, 'device-1')).body, first.body);
      assert.equal(await challengeRows(server, 'device-1'), 1);
      assert.equal((first.body as { ttl: number }).ttl, 300);

      clock.advance(100_000);
      const later = (await challenge(server, 'device-1')).body as { challenge: string; ttl: number };
      assert.equal(later.challenge, (first.body as { challenge: string }).challenge);
      assert.equal(later.ttl, 200, 'the ttl is what is left of it');

      clock.advance(51_000);
      const second = (await challenge(server, 'device-1')).body as { challenge: string; ttl: number };
      assert.notEqual(second.challenge, later.challenge, 'under half its lifetime left: a new one');
      assert.equal(second.ttl, 300);
      assert.equal(await challengeRows(server, 'device-1'), 2);

      clock.advance(300_000);
      const third = (await challenge(server, 'device-1')).body as { challenge: string };
      assert.notEqual(third.challenge, second.challenge);
      assert.equal(await challengeRows(server, 'device-1'), 1, 'the expired ones went when the new one was written');
      // Reused challenges cost nothing from the address's cap of 3 new rows: three were written.
      const fourthDevice = await challenge(server, 'device-2');
      assertLimited(fourthDevice, 300);
    } finally {
      await server.close();
    }
  });
});

describe('per-address and global budgets on calls without credentials', () => {
  let server: TestServer;
  before(async () => {
    server = await serverWith({ publicPerIpPerMinute: 3, publicGlobalPerMinute: 5 });
  });
  after(() => server?.close());

  it('challenge and unregister share the per-address budget; the global one bounds all addresses', async () => {
    const a = from('198.51.100.1');
    assert.equal((await challenge(server, 'd-a', a)).status, 200);
    assert.equal((await send(`${server.url}/v1/client/device/unregister`, { body: { deviceId: 'd-a' }, headers: a })).status, 200);
    assert.equal((await challenge(server, 'd-a', a)).status, 200);
    const limited = await challenge(server, 'd-a', a);
    assertLimited(limited, 60);
    assert.equal(limited.cors, '*', 'the browser can read the 429');
    assertLimited(await send(`${server.url}/v1/client/device/unregister`, { body: { deviceId: 'd-a' }, headers: a }), 60);

    const b = from('198.51.100.2');
    assert.equal((await challenge(server, 'd-b', b)).status, 200);
    assert.equal((await challenge(server, 'd-b', b)).status, 200);
    // Five anonymous calls were served in this minute: the global budget is spent for everyone.
    assertLimited(await challenge(server, 'd-c', from('198.51.100.3')), 60);
  });

  it('a malformed call counts too (the budget is spent before the body is read)', async () => {
    const c = from('198.51.100.9');
    const fresh = await serverWith({ publicPerIpPerMinute: 2 });
    try {
      for (let i = 0; i < 2; i++) {
        const reply = await send(`${fresh.url}/v1/client/challenge`, { body: { nope: true }, headers: c });
        assert.equal(reply.status, 400);
      }
      assertLimited(await challenge(fresh, 'd', c), 60);
    } finally {
      await fresh.close();
    }
  });
});

describe('Instant Link and carrier pages', () => {
  let server: TestServer;
  before(async () => {
    server = await serverWith({ publicPerIpPerMinute: 4 });
  });
  after(() => server?.close());

  it('are limited per address, with a JSON 429', async () => {
    const a = from('192.0.2.10');
    assert.equal((await send(`${server.url}/v1/il/${randomUUID()}`, { headers: a })).status, 404);
    assert.equal((await send(`${server.url}/v1/il/${randomUUID()}`, { headers: a })).status, 404);
    assert.equal((await send(`${server.url}/v1/sandbox/carrier/${randomUUID()}`, { headers: a })).status, 404);
    assert.equal((await send(`${server.url}/v1/sandbox/carrier/${randomUUID()}`, { headers: a })).status, 404);
    assertLimited(await send(`${server.url}/v1/il/${randomUUID()}`, { headers: a }), 60);
    assertLimited(await send(`${server.url}/v1/sandbox/carrier/${randomUUID()}`, { headers: a }), 60);
    assert.equal((await send(`${server.url}/v1/il/${randomUUID()}`, { headers: from('192.0.2.11') })).status, 404, 'another address is not affected');
  });

  it('IPv6 addresses are counted per /64', async () => {
    const il = (address: string) => send(`${server.url}/v1/il/x`, { headers: from(address) });
    for (let i = 1; i <= 4; i++) assert.equal((await il(`2001:db8:1:2::${i}`)).status, 404);
    assertLimited(await il('2001:db8:1:2:abcd:ef01:2345:6789'), 60);
    assert.equal((await il('2001:db8:1:3::1')).status, 404, 'the next /64 has its own budget');
  });
});

describe('provider and operator callbacks (no client secret)', () => {
  const twilio = new TwilioFake();
  let server: TestServer;
  before(async () => {
    await twilio.start();
    server = await serverWith({ publicPerIpPerMinute: 3 }, { overrides: { env: courierEnv([twilio]) } });
  });
  after(async () => {
    await server?.close();
    await twilio.stop();
  });

  /** A Twilio status callback for an unknown message, from `address`, signed well or not at all. */
  const statusCallback = (address: string, signed: boolean) => {
    const url = server.url + SMS_CALLBACK_PATHS.twilio;
    const form = { MessageSid: `SM${randomUUID().replaceAll('-', '')}`, MessageStatus: 'delivered', AccountSid: twilio.accountSid };
    const signature: Record<string, string> = signed ? { 'x-twilio-signature': twilioSignature(url, form, twilio.authToken) } : {};
    return send(url, { form, headers: { ...from(address), ...signature } });
  };

  it('refused SMS status callbacks spend from the address budget; a provider\'s signed ones are not refused for it', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await statusCallback('192.0.2.30', false)).status, 401);
    assertLimited(await statusCallback('192.0.2.30', false), 60);
    assert.equal((await statusCallback('192.0.2.30', true)).status, 204, 'a verified callback is the provider\'s, bounded by the texts sent');
    assert.equal((await statusCallback('192.0.2.31', false)).status, 401, 'another address is not affected');
  });

  it('the operator callback is limited per address', async () => {
    const callback = (address: string) => send(`${server.url}/v1/operator/callback?code=x&state=y`, { headers: from(address) });
    for (let i = 0; i < 3; i++) assert.equal((await callback('192.0.2.40')).status, 404);
    assertLimited(await callback('192.0.2.40'), 60);
    assert.equal((await callback('192.0.2.41')).status, 404, 'another address is not affected');
  });
});

describe('authToken calls are bounded per session, not per address', () => {
  let server: TestServer;
  let backend: Backend;
  before(async () => {
    server = await serverWith({ publicPerIpPerMinute: 2, publicGlobalPerMinute: 100, challengesPerIp: 1, sessionPerMinute: 6 });
    backend = Backend.of(server);
  });
  after(() => server?.close());

  const session = async () => new ProtocolClient((await backend.unify({ possessionType: 'mobile', phoneNumber: '+12025550141' })).authToken!);
  const statusOf = (reply: Reply<unknown>) => reply.status;

  it('a session spends its own budget, not the address budget; another session behind the same address is served', async () => {
    const nat = from('100.64.0.1');
    const one = await session();
    // Six calls from one address whose anonymous budget is 2 (and whose new-challenge cap is 1).
    for (let i = 0; i < 6; i++) {
      assert.equal(statusOf(await one.call('/v1/client/challenge', { deviceId: `session-device-${i}` }, nat)), 200);
    }
    const seventh = await send(`${server.url}/v1/client/challenge`, {
      body: { deviceId: 'x' },
      headers: { ...nat, authorization: `Bearer ${one.authToken}` },
    });
    assertLimited(seventh, 60);
    assert.match((seventh.body as { message: string }).message, /session/);

    const two = await session();
    assert.equal(statusOf(await two.call('/v1/client/challenge', { deviceId: 'other' }, nat)), 200);
    // Anonymous calls from the same address still have their own (small) budget.
    assert.equal((await challenge(server, 'anon', nat)).status, 200);
    assert.equal((await challenge(server, 'anon', nat)).status, 200);
    assertLimited(await challenge(server, 'anon', nat), 60);
  });

  it('the status socket spends from its session budget too: a JSON 429 before the upgrade', async () => {
    const one = await session();
    for (let i = 0; i < 6; i++) (await one.openStatusSocket()).close();
    const url = `${server.url}/v1/client/status?token=${encodeURIComponent(one.authToken)}`;
    const upgrade = { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' };
    const refused = await new Promise<{ status: number; retryAfter: string | undefined; body: string }>((resolve, reject) => {
      const request = httpGet(url, { headers: upgrade }, (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'], body }));
      });
      request.on('upgrade', () => reject(new Error('the socket was upgraded')));
      request.on('error', reject);
    });
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.retryAfter) > 0);
    assertErrorBody(JSON.parse(refused.body), ApiError.RATE_LIMITED.code);
  });

  it('an authToken that does not verify is counted per address', async () => {
    const address = from('100.64.0.2');
    const bad = { ...address, authorization: 'Bearer not-a-token' };
    for (let i = 0; i < 2; i++) {
      const reply = await send(`${server.url}/v1/client/mobile/otp/start`, { body: {}, headers: bad });
      assert.equal(reply.status, 401);
      assertErrorBody(reply.body, ApiError.UNAUTHORIZED.code);
    }
    assertLimited(await send(`${server.url}/v1/client/mobile/otp/start`, { body: {}, headers: bad }), 60);
    assertLimited(await send(`${server.url}/v1/client/challenge`, { body: { deviceId: 'd' }, headers: bad }), 60);
  });
});

describe('/token', () => {
  const token = (server: TestServer, form: Record<string, string>, headers: Record<string, string> = {}) =>
    send(`${server.url}/token`, { form, headers });

  it('is limited per client id, with Retry-After', async () => {
    const server = await serverWith({ tokenPerClientPerMinute: 3 });
    try {
      const other = await server.createClient('other');
      for (let i = 0; i < 3; i++) assert.equal((await token(server, tokenForm(server.clientId, server.clientSecret))).status, 200);
      const limited = await token(server, tokenForm(server.clientId, server.clientSecret));
      assertLimited(limited, 60);
      assert.match((limited.body as { message: string }).message, /client/);
      assert.equal((await token(server, tokenForm(other.clientId, other.clientSecret))).status, 200, 'another client is not affected');
    } finally {
      await server.close();
    }
  });

  it('is limited per address, malformed requests included', async () => {
    const server = await serverWith({ tokenPerIpPerMinute: 3 });
    try {
      const other = await server.createClient('other');
      const a = from('203.0.113.1');
      assert.equal((await token(server, { ...tokenForm(server.clientId, server.clientSecret), grant_type: 'password' }, a)).status, 400);
      assert.equal((await token(server, tokenForm(server.clientId, server.clientSecret), a)).status, 200);
      assert.equal((await token(server, tokenForm(other.clientId, other.clientSecret), a)).status, 200);
      assertLimited(await token(server, tokenForm(other.clientId, other.clientSecret), a), 60);
      assert.equal((await token(server, tokenForm(other.clientId, other.clientSecret), from('203.0.113.2'))).status, 200);
    } finally {
      await server.close();
    }
  });

  it('counts failed credentials per address on their own stricter budget: then even right ones get 429', async () => {
    const server = await serverWith({ tokenFailuresPerIp: 3, tokenPerIpPerMinute: 100, tokenPerClientPerMinute: 100 });
    try {
      const a = from('203.0.113.7');
      for (const form of [
        tokenForm(server.clientId, 'hss_wrong'),
        tokenForm('hsc_unknown', 'hss_wrong'),
        tokenForm(server.clientId, `${server.clientSecret}x`),
      ]) {
        const reply = await token(server, form, a);
        assert.equal(reply.status, 401);
        assertErrorBody(reply.body, ApiError.UNAUTHORIZED.code);
      }
      const locked = await token(server, tokenForm(server.clientId, server.clientSecret), a);
      assertLimited(locked, 15 * 60);
      assert.match((locked.body as { message: string }).message, /failed/);
      // Successes from that address did not count toward failures before; other addresses are served.
      assert.equal((await token(server, tokenForm(server.clientId, server.clientSecret), from('203.0.113.8'))).status, 200);
    } finally {
      await server.close();
    }
  });

  it('successful requests do not count as failures', async () => {
    const server = await serverWith({ tokenFailuresPerIp: 2 });
    try {
      for (let i = 0; i < 10; i++) assert.equal((await token(server, tokenForm(server.clientId, server.clientSecret))).status, 200);
      assert.equal((await token(server, tokenForm(server.clientId, 'hss_wrong'))).status, 401);
      assert.equal((await token(server, tokenForm(server.clientId, server.clientSecret))).status, 200);
    } finally {
      await server.close();
    }
  });
});

describe('access tokens are handed out again, not written per request', () => {
  let clock: ManualClock;
  let server: TestServer;
  before(async () => {
    clock = new ManualClock(Date.now());
    server = await startTestServer({ overrides: { clock } });
  });
  after(() => server?.close());

  const request = () => send(`${server.url}/token`, { form: tokenForm(server.clientId, server.clientSecret) });
  const issued = (reply: { body: unknown }) => reply.body as { access_token: string; expires_in: number };

  it('many requests, sequential and concurrent, write one row and get one token', async () => {
    const first = await request();
    assert.equal(first.status, 200);
    const replies = [...(await Promise.all(Array.from({ length: 20 }, request)))];
    for (let i = 0; i < 30; i++) replies.push(await request());
    for (const reply of replies) assert.equal(issued(reply).access_token, issued(first).access_token);
    assert.equal(await accessTokenRows(server), 1);
  });

  it('expires_in is what is left; under 5 minutes left, a new token (and the old one still works)', async () => {
    const before = issued(await request());
    clock.advance(10 * 60_000);
    const later = issued(await request());
    assert.equal(later.access_token, before.access_token);
    assert.equal(later.expires_in, before.expires_in - 600);

    clock.advance((later.expires_in - 5 * 60) * 1000);
    const renewed = issued(await request());
    assert.notEqual(renewed.access_token, before.access_token);
    assert.equal(renewed.expires_in, 3600);
    assert.equal(await accessTokenRows(server), 2);
    const withOld = await postJson(`${server.url}/v3/unify-status`, { correlationId: 'unknown' }, { authorization: `Bearer ${before.access_token}` });
    assert.equal(withOld.status, 400, 'the old token is still accepted until it expires');
  });

  it('a rotated secret gets a new token, never the one issued under the old secret', async () => {
    const before = issued(await request());
    const rotated = await rotateClientSecret(server.server.deps.db.kysely, server.server.deps, server.clientId);
    const after = await send(`${server.url}/token`, { form: tokenForm(server.clientId, rotated!.clientSecret) });
    assert.equal(after.status, 200);
    assert.notEqual(issued(after).access_token, before.access_token);
  });
});
