/**
 * Operator Mobile Auth over CAMARA Number Verification (issue 11 item 4, decision CH3), over real
 * sockets against the operator simulator: the Mobile Auth redirect goes to the operator, the
 * callback exchanges the code and asks /verify (or /device-phone-number), and instant/finish takes
 * the vfp the callback handed out. Every failure falls back to OTP as the sandbox carrier's does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startOperatorSimulator, type OperatorSimulator } from '@handset/operator-sim';
import { ApiError, ClientErrorCode } from '@handset/protocol';
import { freePort, startTestServer, type TestServer } from '../../src/testing.js';
import { createState } from '../../src/mobile-auth/camara/state.js';
import { DeviceKey } from '../support/device-key.js';
import { decodeAuthToken, ProtocolClient } from '../support/protocol-client.js';
import { signAuthToken } from '../../src/tokens/auth-token.js';
import { Backend, latestMessage } from '../support/server-api.js';
import { assertErrorBody } from '../support/assertions.js';

const CLIENT_ID = 'handset-flow';
const CLIENT_SECRET = 'operator-flow-secret-5Jq8';
const LINE = '+12025550154';
const OTHER = '+12025550188';
const NOT_FOUND = ApiError.NOT_FOUND.code;

interface Setup {
  server: TestServer;
  backend: Backend;
  sim: OperatorSimulator;
  callback: string;
}

/** A platform whose HANDSET_OPERATORS names one simulator; `issuer` overrides where discovery goes. */
async function setUp(
  extra: Record<string, unknown> = {},
  env: Record<string, string> = {},
  simChanges: Record<string, string | null> = {},
  config: NonNullable<Parameters<typeof startTestServer>[0]>['config'] = {},
): Promise<Setup> {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const callback = `${publicUrl}/v1/operator/callback`;
  const sim = await startOperatorSimulator({
    clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [callback] }],
    lines: { default: LINE },
    simChanges: { [OTHER]: null, ...simChanges },
  });
  const entry = { name: 'sim', issuer: sim.url, apiRoot: sim.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri: callback, timeoutMs: 2000, ...extra };
  const server = await startTestServer({
    config: { port, publicUrl, ...config },
    overrides: { env: { HANDSET_OPERATORS: JSON.stringify([entry]), ...env } },
  });
  return { server, backend: Backend.of(server), sim, callback };
}

async function tearDown(s: Setup | undefined): Promise<void> {
  await s?.sim.close();
  await s?.server.close();
}

/** The SDK's fetch implementation of Mobile Auth: GET the redirect URL (following redirects) with r=f. */
async function carrierLeg(redirectUrl: string, line?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = new URL(redirectUrl);
  url.searchParams.set('r', 'f');
  url.searchParams.set('sdkVersion', '3.2.5');
  const res = await fetch(url, { headers: line === undefined ? {} : { 'x-operator-sim-line': line } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A mobile session for `phone` (none: no number) with a registered key, at Mobile Auth start. */
async function atMobileAuth(s: Setup, phone?: string): Promise<{ correlationId: string; client: ProtocolClient; redirectUrl: string }> {
  const started = await s.backend.unify(phone === undefined ? { possessionType: 'mobile' } : { possessionType: 'mobile', phoneNumber: phone });
  const client = new ProtocolClient(started.authToken!);
  await client.deviceStep(new DeviceKey());
  const start = await client.call<{ next: string; data?: { redirectUrl: string } }>('/v1/client/mobile/instant/start', { cellularIp: null, implementation: 'fetch' });
  assert.equal(start.body.next, 'mobile/instant');
  return { correlationId: started.correlationId, client, redirectUrl: start.body.data!.redirectUrl };
}

/** OTP to `phone` from the fallback, finished with the right code. */
async function finishByOtp(s: Setup, client: ProtocolClient, phone: string): Promise<void> {
  assert.deepEqual((await client.otpStart()).body, { next: 'mobile/otp' });
  const { code } = await latestMessage(s.server, phone);
  assert.deepEqual((await client.otpFinish(code!)).body, { next: 'done' });
}

/** The fallback the SDK takes after a refused carrier answer (as with the sandbox carrier). */
async function fallBack(client: ProtocolClient): Promise<void> {
  const report = await client.reportError('mobile/instant', 'Mobile Auth failed (stepCode=AUTHENTICATION, errorCode=AUTH_BAD_CREDENTIALS)', 10002);
  assert.deepEqual(report.body, { next: 'mobile/otp' });
}

describe('operator Mobile Auth over CAMARA', () => {
  let s: Setup;
  before(async () => {
    s = await setUp();
  });
  after(() => tearDown(s));

  it('the redirect goes to the operator (prompt=none, the callback, state); the line is verified; done, no SMS', async () => {
    const { correlationId, client, redirectUrl } = await atMobileAuth(s, LINE);
    const url = new URL(redirectUrl);
    assert.equal(`${url.origin}${url.pathname}`, `${s.sim.url}/authorize`);
    assert.equal(url.searchParams.get('prompt'), 'none');
    assert.equal(url.searchParams.get('redirect_uri'), s.callback);
    assert.equal(url.searchParams.get('scope'), 'openid number-verification:verify');
    assert.ok(url.searchParams.get('state'));
    assert.ok(!redirectUrl.includes('2025550154'), 'the number never goes into the URL');

    const leg = await carrierLeg(redirectUrl);
    assert.equal(leg.status, 200, JSON.stringify(leg.body));
    assert.equal(typeof leg.body.vfp, 'string');
    const finish = await client.call('/v1/client/mobile/instant/finish', { vfp: leg.body.vfp });
    assert.deepEqual(finish.body, { next: 'done' });
    const status = await s.backend.status(correlationId);
    assert.equal(status.success, 'true');
    assert.equal(status.phoneNumber, LINE);
    assert.equal((await s.server.outbox()).length, 0, 'no SMS');
  });

  it('a vfp is single-attempt: replayed on the same session after done, it changes nothing', async () => {
    const { client, redirectUrl } = await atMobileAuth(s, LINE);
    const leg = await carrierLeg(redirectUrl);
    assert.deepEqual((await client.call('/v1/client/mobile/instant/finish', { vfp: leg.body.vfp })).body, { next: 'done' });
    const again = await client.call<{ next: string; error?: { code: number } }>('/v1/client/mobile/instant/finish', { vfp: leg.body.vfp });
    assert.notEqual(again.body.next, 'done');
  });

  it('an unrecognised line: the callback refuses (404 {code, message}), the flow falls back to OTP and the OTP finishes', async () => {
    const { correlationId, client, redirectUrl } = await atMobileAuth(s, OTHER);
    const leg = await carrierLeg(redirectUrl, 'none');
    assert.equal(leg.status, 404);
    assertErrorBody(leg.body, NOT_FOUND);
    await fallBack(client);
    await finishByOtp(s, client, OTHER);
    assert.equal((await s.backend.status(correlationId)).success, 'true');
  });

  it('the browser on another line (/verify false): refused, OTP finishes', async () => {
    const { correlationId, client, redirectUrl } = await atMobileAuth(s, OTHER);
    const leg = await carrierLeg(redirectUrl, LINE);
    assert.equal(leg.status, 404);
    await fallBack(client);
    await finishByOtp(s, client, OTHER);
    assert.equal((await s.backend.status(correlationId)).phoneNumber, OTHER);
  });

  it('instant/finish with a forged operator vfp answers as today: external failure, next mobile/otp', async () => {
    const { client, redirectUrl } = await atMobileAuth(s, OTHER);
    const forged = `op.${Buffer.from(OTHER).toString('base64url')}.${'A'.repeat(43)}`;
    const finish = await client.call<{ next: string; error?: { code: number } }>('/v1/client/mobile/instant/finish', { vfp: forged });
    assert.equal(finish.body.next, 'mobile/otp');
    assert.equal(finish.body.error?.code, ClientErrorCode.AUTHENTICATION_EXTERNAL_FAILURE);
    void redirectUrl;
    await finishByOtp(s, client, OTHER);
  });

  it('a vfp for one number does not pass a session of another number', async () => {
    const a = await atMobileAuth(s, LINE);
    const legA = await carrierLeg(a.redirectUrl);
    const b = await atMobileAuth(s, OTHER);
    const finish = await b.client.call<{ next: string }>('/v1/client/mobile/instant/finish', { vfp: legA.body.vfp });
    assert.equal(finish.body.next, 'mobile/otp');
    assert.notEqual((await s.backend.status(b.correlationId)).success, 'true');
  });

  it('a session with no number learns it from /device-phone-number', async () => {
    const { correlationId, client, redirectUrl } = await atMobileAuth(s);
    assert.equal(new URL(redirectUrl).searchParams.get('scope'), 'openid number-verification:device-phone-number:read');
    const leg = await carrierLeg(redirectUrl);
    assert.equal(leg.status, 200, JSON.stringify(leg.body));
    assert.deepEqual((await client.call('/v1/client/mobile/instant/finish', { vfp: leg.body.vfp })).body, { next: 'done' });
    const status = await s.backend.status(correlationId);
    assert.equal(status.success, 'true');
    assert.equal(status.phoneNumber, LINE);
  });

  it('a tampered or foreign state at the callback is refused and changes nothing; the real callback still passes', async () => {
    const { correlationId, client, redirectUrl } = await atMobileAuth(s, LINE);
    const toCallback = await fetch(redirectUrl, { redirect: 'manual' });
    assert.equal(toCallback.status, 302);
    const location = new URL(toCallback.headers.get('location')!);
    const state = location.searchParams.get('state')!;
    const code = location.searchParams.get('code')!;

    const tampered = new URL(location);
    tampered.searchParams.set('state', `${state.slice(0, -2)}${state.endsWith('AA') ? 'BB' : 'AA'}`);
    const foreign = new URL(location);
    const other = createState('a-key-handset-never-had-0123456789abcdef', { sessionId: 'x'.repeat(32), operator: 'sim', ttlSeconds: 300, nowMs: Date.now() });
    foreign.searchParams.set('state', other.state);
    const missing = new URL(s.callback);
    missing.searchParams.set('code', code);
    for (const url of [tampered, foreign, missing]) {
      const res = await fetch(url);
      assert.equal(res.status, 404);
      assertErrorBody(await res.json(), NOT_FOUND);
    }
    assert.equal((await s.backend.status(correlationId)).success, 'pending', 'nothing changed');

    const real = await fetch(location);
    assert.equal(real.status, 200);
    const { vfp } = (await real.json()) as { vfp: string };
    assert.deepEqual((await client.call('/v1/client/mobile/instant/finish', { vfp })).body, { next: 'done' });
  });

  it('an operator error in the callback (error=access_denied) falls back to OTP', async () => {
    const { client, redirectUrl } = await atMobileAuth(s, OTHER);
    const toCallback = await fetch(redirectUrl, { redirect: 'manual' });
    const location = new URL(toCallback.headers.get('location')!);
    location.searchParams.delete('code');
    location.searchParams.set('error', 'access_denied');
    assert.equal((await fetch(location)).status, 404);
    await fallBack(client);
    await finishByOtp(s, client, OTHER);
  });
});

describe('operator Mobile Auth is never started for a token that is not its session\'s', () => {
  it('a token signed by the platform for the session but with another jti: 401, and the operator is not asked', async () => {
    const s = await setUp();
    try {
      const started = await s.backend.unify({ possessionType: 'mobile', phoneNumber: LINE });
      const claims = decodeAuthToken(started.authToken!);
      const forged = signAuthToken({ ...claims, jti: 'not-this-session-token' }, s.server.server.deps.signingKey);
      const discoveries = s.sim.hits('discovery');
      const refused = await new ProtocolClient(forged).call('/v1/client/mobile/instant/start', { cellularIp: null, implementation: 'fetch' });
      assert.equal(refused.status, 401);
      assertErrorBody(refused.body, ApiError.UNAUTHORIZED.code, /does not belong to a live session/);
      assert.equal(s.sim.hits('discovery'), discoveries, 'the operator was not asked');
      // The genuine token reaches the operator.
      const client = new ProtocolClient(started.authToken!);
      await client.deviceStep(new DeviceKey());
      const start = await client.call<{ next: string; data?: { redirectUrl: string } }>('/v1/client/mobile/instant/start', { cellularIp: null, implementation: 'fetch' });
      assert.equal(start.body.next, 'mobile/instant');
      assert.ok(start.body.data!.redirectUrl.startsWith(s.sim.url), start.body.data!.redirectUrl);
      assert.ok(s.sim.hits('discovery') > discoveries);
    } finally {
      await tearDown(s);
    }
  });
});

describe('operator Mobile Auth is bound to the address that started the attempt (relay)', () => {
  let s: Setup;
  before(async () => {
    // Addresses other than 127.0.0.1 come through X-Forwarded-For from a trusted loopback proxy.
    s = await setUp({}, {}, {}, { trustProxy: ['loopback'] });
  });
  after(() => tearDown(s));

  /** The redirect URL loaded on the victim's line from `address` (an <img> on a page they visit, or a fetch). */
  async function relayed(redirectUrl: string, address: string, as: 'image' | 'fetch'): Promise<number> {
    const url = new URL(redirectUrl);
    if (as === 'fetch') url.searchParams.set('r', 'f');
    const headers: Record<string, string> = { 'x-operator-sim-line': LINE, 'x-forwarded-for': address, ...(as === 'image' ? { 'sec-fetch-dest': 'image' } : {}) };
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    return res.status;
  }

  for (const as of ['image', 'fetch'] as const) {
    it(`an attacker's redirect URL loaded (${as}) on the victim's line from another address: refused, the attacker's session does not pass`, async () => {
      // The attacker starts a session for the victim's number from their own address (127.0.0.1 here).
      const { correlationId, client, redirectUrl } = await atMobileAuth(s, LINE);
      assert.equal(await relayed(redirectUrl, '198.51.100.7', as), 404);
      const finish = await client.call<{ next: string; error?: { code: number } }>('/v1/client/mobile/instant/finish', { vfp: '' });
      assert.equal(finish.body.next, 'mobile/otp', 'the empty vfp of the pixel implementation does not pass');
      assert.notEqual((await s.backend.status(correlationId)).success, 'true');
    });
  }

  it('the same attempt loaded from the address that started it passes (the browser on its own line)', async () => {
    const { correlationId, client, redirectUrl } = await atMobileAuth(s, LINE);
    assert.equal(await relayed(redirectUrl, '127.0.0.1', 'image'), 200);
    assert.deepEqual((await client.call('/v1/client/mobile/instant/finish', { vfp: '' })).body, { next: 'done' });
    assert.equal((await s.backend.status(correlationId)).success, 'true');
  });
});

describe('operator Mobile Auth, pixel implementation (the browser loads the chain as an image)', () => {
  let s: Setup;
  before(async () => {
    s = await setUp();
  });
  after(() => tearDown(s));

  /** The image load: no r=f, Sec-Fetch-Dest: image (what a browser sends for an <img>). */
  async function pixelLeg(redirectUrl: string, line?: string): Promise<{ status: number; type: string | null }> {
    const url = new URL(redirectUrl);
    url.searchParams.set('sdkVersion', '3.2.5');
    const res = await fetch(url, { headers: { 'sec-fetch-dest': 'image', ...(line === undefined ? {} : { 'x-operator-sim-line': line }) } });
    await res.arrayBuffer();
    return { status: res.status, type: res.headers.get('content-type') };
  }

  it('a verified line: the callback answers a GIF, instant/finish with an empty vfp is done', async () => {
    const { correlationId, client, redirectUrl } = await atMobileAuth(s, LINE);
    assert.deepEqual(await pixelLeg(redirectUrl), { status: 200, type: 'image/gif' });
    assert.deepEqual((await client.call('/v1/client/mobile/instant/finish', { vfp: '' })).body, { next: 'done' });
    assert.equal((await s.backend.status(correlationId)).success, 'true');
  });

  it('a session with no number learns it', async () => {
    const { correlationId, client, redirectUrl } = await atMobileAuth(s);
    assert.equal((await pixelLeg(redirectUrl)).status, 200);
    assert.deepEqual((await client.call('/v1/client/mobile/instant/finish', { vfp: '' })).body, { next: 'done' });
    assert.equal((await s.backend.status(correlationId)).phoneNumber, LINE);
  });

  it('an unrecognised line: 404, and an empty vfp does not pass (external failure, mobile/otp); the OTP finishes', async () => {
    const { client, redirectUrl } = await atMobileAuth(s, OTHER);
    assert.equal((await pixelLeg(redirectUrl, 'none')).status, 404);
    const finish = await client.call<{ next: string; error?: { code: number } }>('/v1/client/mobile/instant/finish', { vfp: '' });
    assert.equal(finish.body.next, 'mobile/otp');
    assert.equal(finish.body.error?.code, ClientErrorCode.AUTHENTICATION_EXTERNAL_FAILURE);
    await finishByOtp(s, client, OTHER);
  });

  it('a confirmation is for its attempt: a new instant/start forgets it', async () => {
    const { client, redirectUrl } = await atMobileAuth(s, LINE);
    assert.equal((await pixelLeg(redirectUrl)).status, 200);
    await fallBack(client);
    const again = await client.call<{ next: string }>('/v1/client/mobile/instant/start', { cellularIp: null, implementation: 'pixel' });
    assert.equal(again.body.next, 'mobile/instant', 'a new attempt after the fallback');
    const finish = await client.call<{ next: string }>('/v1/client/mobile/instant/finish', { vfp: '' });
    assert.equal(finish.body.next, 'mobile/otp', 'the earlier attempt\'s confirmation does not count');
  });
});

describe('operator Mobile Auth: outages fall back to OTP', () => {
  let s: Setup;
  before(async () => {
    s = await setUp({ timeoutMs: 500 });
  });
  after(() => tearDown(s));

  // First: discovery is cached once it answered.
  it('discovery down at the start: the redirect URL refuses at once, the OTP finishes', async () => {
    s.sim.fail('discovery', { status: 503 });
    try {
      const { client, redirectUrl } = await atMobileAuth(s, LINE);
      assert.ok(redirectUrl.startsWith(s.callback), redirectUrl);
      const leg = await carrierLeg(redirectUrl);
      assert.equal(leg.status, 404);
      await fallBack(client);
      await finishByOtp(s, client, LINE);
    } finally {
      s.sim.fail('discovery', null);
    }
  });

  for (const [endpoint, fault] of [
    ['token', { status: 503 }],
    ['verify', { status: 500 }],
    ['verify', 'timeout'],
    ['token', 'malformed'],
  ] as const) {
    it(`${endpoint} ${typeof fault === 'string' ? fault : fault.status}: the callback refuses, the OTP finishes`, async () => {
      s.sim.fail(endpoint, fault);
      try {
        const { correlationId, client, redirectUrl } = await atMobileAuth(s, LINE);
        const leg = await carrierLeg(redirectUrl);
        assert.equal(leg.status, 404);
        assertErrorBody(leg.body, NOT_FOUND);
        await fallBack(client);
        await finishByOtp(s, client, LINE);
        assert.equal((await s.backend.status(correlationId)).success, 'true');
      } finally {
        s.sim.fail(endpoint, null);
      }
    });
  }

});

describe('HANDSET_OPERATORS at start', () => {
  it('a bad value refuses to start with the parser message (naming the field, not the value)', async () => {
    await assert.rejects(
      startTestServer({ overrides: { env: { HANDSET_OPERATORS: JSON.stringify([{ name: 'op', issuer: 'http://example.com', apiRoot: 'https://a.example', clientId: 'c', clientSecret: 'hush-secret', redirectUri: 'https://h.example/cb' }]) } } }),
      (error: Error) => /HANDSET_OPERATORS\[0\]\.issuer: must be https/.test(error.message) && !error.message.includes('hush-secret'),
    );
  });

  it('without HANDSET_OPERATORS Mobile Auth stays on the sandbox carrier', async () => {
    const server = await startTestServer({ overrides: { env: {} } });
    try {
      const started = await Backend.of(server).unify({ possessionType: 'mobile', phoneNumber: LINE });
      const client = new ProtocolClient(started.authToken!);
      const start = await client.call<{ data?: { redirectUrl: string } }>('/v1/client/mobile/instant/start', { cellularIp: null, implementation: 'fetch' });
      assert.ok(start.body.data!.redirectUrl.startsWith(`${server.url}/v1/sandbox/carrier/`));
      const cb = await fetch(`${server.url}/v1/operator/callback?code=x&state=y`);
      assert.equal(cb.status, 404);
      assertErrorBody(await cb.json(), NOT_FOUND);
    } finally {
      await server.close();
    }
  });
});

describe('SIM swap signal in evaluation.risk', () => {
  const SWAPPED = '+12025550177';
  const LONG_AGO = '+12025550178';
  let s: Setup;
  before(async () => {
    s = await setUp(
      {},
      { HANDSET_SIM_SWAP_OPERATOR: 'sim', HANDSET_SIM_SWAP_MAX_AGE_HOURS: '24', HANDSET_SIM_SWAP_TIMEOUT_MS: '500' },
      { [SWAPPED]: new Date(Date.now() - 3_600_000).toISOString(), [LONG_AGO]: new Date(Date.now() - 72 * 3_600_000).toISOString() },
    );
  });
  after(() => tearDown(s));

  /** A session for `phone` finished by OTP (Mobile Auth refused: the browser is on no line). */
  async function succeeded(phone: string): Promise<string> {
    const { correlationId, client, redirectUrl } = await atMobileAuth(s, phone);
    assert.equal((await carrierLeg(redirectUrl, 'none')).status, 404);
    await fallBack(client);
    await finishByOtp(s, client, phone);
    return correlationId;
  }

  it('a swap within the window: 9135 under evaluation.risk, authentication still pass; the same on a later read', async () => {
    const id = await succeeded(SWAPPED);
    const status = await s.backend.status(id);
    assert.equal(status.success, 'true');
    assert.deepEqual(status.evaluation, {
      authentication: { result: 'pass' },
      risk: { result: 'fail', failureReasons: { '9135': 'SIM changed within the last 24 hours' } },
    });
    s.sim.fail('check', { status: 503 });
    try {
      assert.deepEqual((await s.backend.status(id)).evaluation, status.evaluation, 'recorded once, not asked again');
    } finally {
      s.sim.fail('check', null);
    }
  });

  it('Mobile Auth through the operator on a line that never changed SIM: no risk entry', async () => {
    const { correlationId, client, redirectUrl } = await atMobileAuth(s, LINE);
    const leg = await carrierLeg(redirectUrl);
    assert.deepEqual((await client.call('/v1/client/mobile/instant/finish', { vfp: leg.body.vfp })).body, { next: 'done' });
    // LINE is a configured line of the simulator: a subscriber whose SIM never changed.
    assert.deepEqual((await s.backend.status(correlationId)).evaluation, { authentication: { result: 'pass' } });
  });

  it('no swap, or one older than the window: no risk entry', async () => {
    for (const phone of [OTHER, LONG_AGO]) {
      const status = await s.backend.status(await succeeded(phone));
      assert.equal(status.success, 'true');
      assert.deepEqual(status.evaluation, { authentication: { result: 'pass' } }, phone);
    }
  });

  for (const fault of [{ status: 503 }, 'timeout'] as const) {
    it(`operator ${typeof fault === 'string' ? fault : fault.status} on /check: no reason, the flow and status unaffected`, async () => {
      const id = await succeeded(SWAPPED);
      s.sim.fail('check', fault);
      try {
        const status = await s.backend.status(id);
        assert.equal(status.success, 'true');
        assert.deepEqual(status.evaluation, { authentication: { result: 'pass' } });
      } finally {
        s.sim.fail('check', null);
      }
    });
  }

  it('a session that is not done is not checked: pending, no evaluation', async () => {
    const { correlationId } = await atMobileAuth(s, SWAPPED);
    const status = await s.backend.status(correlationId);
    assert.equal(status.success, 'pending');
    assert.equal(status.evaluation, undefined);
  });
});
