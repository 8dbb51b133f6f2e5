/**
 * @module test/demo.api.test
 * The demo back end over HTTP against a real platform: what it serves (pages, page scripts, the
 * SDK bundle, security headers), how `/api/start` validates and maps Handset's answers, and the
 * demo's own possession check and bind (sandbox short-term user, whose customer-supplied session
 * starts at `possession_required`, so no browser is needed here).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDemo } from '../src/main.ts';
import { postJson, startEnvironment, type Environment } from './support/environment.ts';

function claimsOf(authToken: string): { auth: { id: string; next: string } } {
  return JSON.parse(Buffer.from(authToken.split('.')[1]!, 'base64url').toString('utf8'));
}

describe('demo back end: pages and assets', () => {
  let env: Environment;
  before(async () => {
    env = await startEnvironment();
  });
  after(() => env?.close());

  test('serves the sign-up page with a CSP that allows exactly the platform origin', async () => {
    const res = await fetch(`${env.demo.url}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, new RegExp(`connect-src 'self' ${env.platform.url} ${env.platform.url.replace('http', 'ws')}`));
    assert.match(csp, /script-src 'self'/);
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    const html = await res.text();
    assert.match(html, /<script type="module" src="\/assets\/app.js">/);
    assert.match(html, /Demo inbox/);
  });

  test('serves the page script bundled, importing the SDK from /sdk/handset-web.mjs', async () => {
    const res = await fetch(`${env.demo.url}/assets/app.js`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /javascript/);
    const js = await res.text();
    assert.match(js, /from "\/sdk\/handset-web\.mjs"/);
    assert.doesNotMatch(js, /@handset\/web/);
    assert.match(js, /withRole\("secondary"\)/);
    const landing = await fetch(`${env.demo.url}/assets/instant-link-done.js`);
    assert.equal(landing.status, 200);
    assert.match(await landing.text(), /finishInstantLink/);
  });

  test('serves the web SDK bundle and the Instant Link landing page', async () => {
    const sdk = await fetch(`${env.demo.url}/sdk/handset-web.mjs`);
    assert.equal(sdk.status, 200);
    assert.match(await sdk.text(), /AuthenticatorBuilder/);
    const landing = await fetch(`${env.demo.url}/instant-link-done?authId=x&asc=true`);
    assert.equal(landing.status, 200);
    assert.match(await landing.text(), /instant-link-done\.js/);
  });

  test('answers 503 with the build command when the SDK bundle is missing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'demo-sdk-'));
    const demo = await startDemo({ port: 0, handsetUrl: env.platform.url, clientId: 'x', clientSecret: 'y', sdkDir: empty });
    try {
      const res = await fetch(`${demo.url}/sdk/handset-web.mjs`);
      assert.equal(res.status, 503);
      assert.match(((await res.json()) as { message: string }).message, /packages\/web\/scripts\/build\.mjs/);
    } finally {
      await demo.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });

  test('answers 404 for unknown paths and path tricks, and 405 for wrong methods', async () => {
    for (const path of ['/nope', '/sdk/../package.json', '/assets/../../src/main.ts', '/sdk/handset-web.min.js']) {
      assert.equal((await fetch(`${env.demo.url}${path}`)).status, 404, path);
    }
    const get = await fetch(`${env.demo.url}/api/start`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    assert.equal((await fetch(`${env.demo.url}/`, { method: 'DELETE' })).status, 405);
  });

  test('tells the page where the platform and its outbox are', async () => {
    const config = (await (await fetch(`${env.demo.url}/api/config`)).json()) as Record<string, string>;
    assert.equal(config.handsetUrl, env.platform.url);
    assert.equal(config.outboxUrl, `${env.platform.url}/dev/outbox`);
    assert.equal(config.mobileAuthNumber, '+12025550100');
  });
});

describe('demo back end: starting and verifying', () => {
  let env: Environment;
  before(async () => {
    env = await startEnvironment();
  });
  after(() => env?.close());

  test('starts a desktop flow whose authToken begins with Instant Link', async () => {
    const { status, body } = await postJson(`${env.demo.url}/api/start`, { phoneNumber: '+1 202 555 0177', flow: 'desktop' });
    assert.equal(status, 200);
    assert.equal(body.flow, 'desktop');
    assert.equal(claimsOf(body.authToken).auth.next, 'mobile/instantlink');
    assert.equal(Object.hasOwn(body, 'correlationId'), false, 'the correlationId stays on the back end');
  });

  test('starts mobile and customer flows at the device step', async () => {
    for (const flow of ['mobile', 'customer']) {
      const { status, body } = await postJson(`${env.demo.url}/api/start`, { phoneNumber: '2025550178', flow, rebind: true });
      assert.equal(status, 200, flow);
      assert.equal(claimsOf(body.authToken).auth.next, 'device/passive', flow);
    }
  });

  test('reports a flow nobody finished as pending, in plain words', async () => {
    const started = await postJson(`${env.demo.url}/api/start`, { phoneNumber: '+12025550179', flow: 'mobile' });
    const { status, body } = await postJson(`${env.demo.url}/api/verify`, { authId: claimsOf(started.body.authToken).auth.id });
    assert.equal(status, 200);
    assert.equal(body.success, 'pending');
    assert.equal(body.headline, 'Not finished yet.');
    assert.equal(body.phoneNumber, '+1******0179');
    assert.equal(body.check, undefined);
  });

  test('rejects bad start requests with a plain message', async () => {
    const url = `${env.demo.url}/api/start`;
    const cases: Array<[unknown, number, RegExp]> = [
      ['{not json', 400, /not valid JSON/],
      [[1, 2], 400, /JSON object/],
      [{ phoneNumber: '+12025550180' }, 400, /'flow' must be/],
      [{ phoneNumber: '+12025550180', flow: 'sms' }, 400, /'flow' must be mobile, desktop, customer or returning/],
      [{ flow: 'mobile' }, 400, /Enter a phone number/],
      [{ phoneNumber: 'call me', flow: 'mobile' }, 400, /Enter a phone number/],
      [{ phoneNumber: '12', flow: 'mobile' }, 400, /Enter a phone number/],
      [{ phoneNumber: '+12025550180', flow: 'mobile', rebind: 'yes' }, 400, /'rebind' must be/],
    ];
    for (const [body, status, message] of cases) {
      const res = await postJson(url, body);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.match(res.body.message, message, JSON.stringify(body));
    }
    const wrongType = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    assert.equal(wrongType.status, 415);
    const huge = await postJson(url, { phoneNumber: 'x'.repeat(20_000), flow: 'mobile' });
    assert.equal(huge.status, 413);
  });

  test("passes on Handset's refusal of a number that only looks like one", async () => {
    const { status, body } = await postJson(`${env.demo.url}/api/start`, { phoneNumber: '+999 123 4567', flow: 'mobile' });
    assert.equal(status, 400);
    assert.equal(body.error, 'handset_rejected');
    assert.match(body.message, /phoneNumber/);
    assert.doesNotMatch(body.message, /1234567/);
  });

  test('refuses verify and bind for unknown or missing authIds', async () => {
    assert.equal((await postJson(`${env.demo.url}/api/verify`, { authId: 'no-such-flow' })).status, 404);
    assert.equal((await postJson(`${env.demo.url}/api/verify`, {})).status, 400);
    assert.equal((await postJson(`${env.demo.url}/api/bind`, { authId: 'no-such-flow', code: '123456' })).status, 404);
    assert.equal((await postJson(`${env.demo.url}/api/check/resend`, { authId: 'no-such-flow' })).status, 404);
  });

  test('starts a returning customer\'s flow with no number, and asks for none while nothing is required', async () => {
    const { status, body } = await postJson(`${env.demo.url}/api/start`, { flow: 'returning' });
    assert.equal(status, 200);
    assert.equal(body.flow, 'returning');
    const claims = claimsOf(body.authToken);
    assert.equal(claims.auth.next, 'device/passive');
    const authId = claims.auth.id;
    const pending = await postJson(`${env.demo.url}/api/verify`, { authId });
    assert.equal(pending.body.success, 'pending');
    assert.equal(pending.body.phoneNumber, undefined);
    assert.equal(pending.body.numberNeeded, undefined);
    assert.equal(pending.body.check, undefined);
    // No possession_required yet: no number is taken, no code sent, nothing to bind.
    const early = await postJson(`${env.demo.url}/api/check/start`, { authId, phoneNumber: '+12025550182' });
    assert.equal(early.status, 409);
    assert.equal(early.body.error, 'no_check');
    assert.equal((await postJson(`${env.demo.url}/api/bind`, { authId, code: '123456' })).status, 409);
    assert.equal((await postJson(`${env.demo.url}/api/check/start`, { authId: 'no-such-flow', phoneNumber: '+12025550182' })).status, 404);
  });

  test('only a returning customer\'s flow takes a number after the start', async () => {
    const started = await postJson(`${env.demo.url}/api/start`, { phoneNumber: '+12025550183', flow: 'customer' });
    const authId = claimsOf(started.body.authToken).auth.id;
    const refused = await postJson(`${env.demo.url}/api/check/start`, { authId, phoneNumber: '+12025550184' });
    assert.equal(refused.status, 409);
  });

  test('refuses bind while no possession check is waiting', async () => {
    const started = await postJson(`${env.demo.url}/api/start`, { phoneNumber: '+12025550181', flow: 'customer' });
    const authId = claimsOf(started.body.authToken).auth.id;
    const bind = await postJson(`${env.demo.url}/api/bind`, { authId, code: '123456' });
    assert.equal(bind.status, 409);
    assert.equal(bind.body.error, 'no_check');
    assert.equal((await postJson(`${env.demo.url}/api/check/resend`, { authId })).status, 409);
    assert.equal((await postJson(`${env.demo.url}/api/bind`, { authId })).status, 400, 'code missing');
  });
});

describe("demo back end: its own possession check and unify-bind", () => {
  let env: Environment;
  let clock = Date.now();
  before(async () => {
    env = await startEnvironment({ sandbox: true, now: () => new Date(clock) });
  });
  after(() => env?.close());

  /** A customer-supplied session of the sandbox short-term user: possession_required at once. */
  async function possessionRequired(): Promise<{ authId: string; body: any }> {
    const started = await postJson(`${env.demo.url}/api/start`, { phoneNumber: '+12001004018', flow: 'customer' });
    assert.equal(started.status, 200);
    const authId = claimsOf(started.body.authToken).auth.id;
    const { status, body } = await postJson(`${env.demo.url}/api/verify`, { authId });
    assert.equal(status, 200);
    return { authId, body };
  }

  async function inboxCode(): Promise<string> {
    const { messages } = (await (await fetch(`${env.demo.url}/api/inbox`)).json()) as { messages: Array<{ to: string; body: string }> };
    assert.equal(messages[0]!.to, '+1******4018');
    return /\b(\d{6})\b/.exec(messages[0]!.body)![1]!;
  }

  test('explains possession_required, sends its own code, and binds once the code is right', async () => {
    const { authId, body } = await possessionRequired();
    assert.equal(body.success, 'possession_required');
    assert.equal(body.headline, 'Handset needs the demo to check the phone itself.');
    assert.deepEqual(body.evaluation[0].category, 'authentication');
    assert.equal(body.evaluation[0].result, 'fail');
    assert.equal(body.evaluation[0].reasons[0].code, '9100');
    assert.match(body.evaluation[0].reasons[0].plain, /no device key bound to this phone number/);
    assert.deepEqual(body.check.sentTo, '+1******4018');
    const code = await inboxCode();

    const again = await postJson(`${env.demo.url}/api/verify`, { authId });
    assert.equal(again.body.check.attemptsLeft, 3, 'a second status read keeps the same check');
    assert.equal(await inboxCode(), code, 'and sends no second code');

    const bound = await postJson(`${env.demo.url}/api/bind`, { authId, code });
    assert.equal(bound.status, 200);
    assert.equal(bound.body.success, 'true');
    assert.equal(bound.body.headline, 'Verified: you hold +1******4018.');
    assert.match(bound.body.explanation[0], /own check proved/);
    assert.ok(bound.body.proveId);
    const twice = await postJson(`${env.demo.url}/api/bind`, { authId, code });
    assert.equal(twice.status, 409, 'the check is used up by a successful bind');
  });

  test('counts wrong codes down, stops after three, and a new code works', async () => {
    const { authId } = await possessionRequired();
    const code = await inboxCode();
    const wrong = code === '000000' ? '000001' : '000000';
    const first = await postJson(`${env.demo.url}/api/bind`, { authId, code: wrong });
    assert.equal(first.status, 400);
    assert.equal(first.body.message, 'That code is not right. 2 tries left.');
    assert.equal((await postJson(`${env.demo.url}/api/bind`, { authId, code: wrong })).body.message, 'That code is not right. 1 try left.');
    const third = await postJson(`${env.demo.url}/api/bind`, { authId, code: wrong });
    assert.equal(third.status, 429);
    assert.equal(third.body.error, 'too_many_attempts');
    assert.equal((await postJson(`${env.demo.url}/api/bind`, { authId, code })).status, 429, 'the right code no longer helps');

    const resent = await postJson(`${env.demo.url}/api/check/resend`, { authId });
    assert.equal(resent.status, 200);
    assert.equal(resent.body.attemptsLeft, 3);
    const fresh = await inboxCode();
    const bound = await postJson(`${env.demo.url}/api/bind`, { authId, code: fresh });
    assert.equal(bound.body.success, 'true');
  });

  test('refuses a code after five minutes', async () => {
    const { authId } = await possessionRequired();
    const code = await inboxCode();
    clock += 5 * 60_000 + 1;
    const late = await postJson(`${env.demo.url}/api/bind`, { authId, code });
    assert.equal(late.status, 410);
    assert.equal(late.body.error, 'expired');
  });
});
