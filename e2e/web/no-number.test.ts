/**
 * @module e2e/web/no-number.test
 * Unify without a typed number (issue 10), in real Chromium against a real Handset server:
 *
 * - the integration guide's exact step-2 request `{"possessionType":"none","clientRequestId":"client-abc-123"}`
 *   starts a session; a device whose Prove Key was bound earlier finishes it `true` with nothing
 *   typed and no SMS, and unify-status names the bound number in E.164;
 * - a fresh device gets `possession_required` (9100), then `unify-bind` binds its key, and the
 *   next guide request on that device is silent;
 * - `proveId` instead of a number: the session uses that identity's number, for this client only;
 * - `mobile` without a number and no carrier line: Mobile Auth cannot find the number, the
 *   OtpStartStep is called with `phoneNumberNeeded = true`, and the code goes to the number typed;
 *   afterwards that device's key answers for it, with no number, in `none` and in `mobile`;
 * - `desktop` without a number: the InstantLinkStartStep is called with `phoneNumberNeeded = true`
 *   and the link goes to the number typed;
 * - `mobile` without a number with a carrier line configured: Mobile Auth discovers the number.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import type { UnifyResult } from '@handset/protocol';
import {
  chromiumSkipReason,
  DESKTOP_USER_AGENT,
  flowResult,
  MOBILE_USER_AGENT,
  openApp,
  recordClientCalls,
  WAIT_MS,
  within,
  withArtifacts,
  type Artifacts,
} from './support/browser.ts';
import { startEnvironment, type Environment } from './support/fixture.ts';
import { handsetApi, HandsetApiError } from './support/handset-api.ts';
import { codeFrom, linkFrom, smsCount, waitForSms } from './support/outbox.ts';

/** Step 2 of the integration guide, byte for byte. */
const GUIDE_REQUEST = { possessionType: 'none', clientRequestId: 'client-abc-123' } as const;

const OTP_BOUND = '+12025550161';
const BIND_TYPED = '2025550162';
const BIND_E164 = '+12025550162';
const MOBILE_TYPED = '2025550163';
const MOBILE_E164 = '+12025550163';
const DESKTOP_TYPED = '+12025550164';
const PROVE_ID_NUMBER = '+12025550165';
const CARRIER_LINE = '+12025550166';

const skip = chromiumSkipReason();

/** The integrator's callbacks as the page recorded them: [kind, phoneNumberNeeded]. */
async function callbacks(page: Page): Promise<Array<[string, boolean | null]>> {
  return page.evaluate(() => (window as any).calls.map((c: any) => [c.kind, c.phoneNumberNeeded ?? null]));
}

async function outboxSize(env: Environment): Promise<number> {
  return (await env.server.outbox()).length;
}

describe('Unify without a typed number', { skip }, () => {
  let env: Environment;
  const contexts: BrowserContext[] = [];

  before(async () => {
    // No Mobile Auth numbers and no carrier line: Mobile Auth can never find a number here.
    env = await startEnvironment();
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await env?.close();
  });

  async function open(artifacts: Artifacts, label: string, userAgent = MOBILE_USER_AGENT, page = 'app.html'): Promise<Page> {
    const context = await env.browser!.newContext({ userAgent });
    contexts.push(context);
    return openApp(context, artifacts, `${env.app.url}/${page}`, label);
  }

  /** Starts a session through the page's back end and waits until the SDK has settled. */
  async function run(page: Page, body: Record<string, unknown>): Promise<{ authId: string; status: UnifyResult }> {
    await page.evaluate((start) => (window as any).startFlow(start), body);
    assert.deepEqual(await flowResult(page), { state: 'resolved' });
    const session = env.app.last();
    const status = session.statuses.at(-1);
    assert.ok(status, 'the finish step read the outcome');
    return { authId: session.authId, status };
  }

  /** The integrator's own possession check passed: it binds the session's key to `phoneNumber`. */
  function bind(page: Page, authId: string, phoneNumber: string): Promise<UnifyResult> {
    return within(
      page.evaluate(
        ([id, number]) =>
          fetch('/api/bind', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ authId: id, phoneNumber: number }) }).then((r) => r.json()),
        [authId, phoneNumber],
      ),
      'unify-bind',
    );
  }

  /** Runs the guide's request on a device whose key is bound; asserts it was silent and returns the status. */
  async function guideRequestSilent(page: Page): Promise<UnifyResult> {
    const calls = recordClientCalls(page, env.server.url);
    const texts = await outboxSize(env);
    await page.evaluate(() => ((window as any).calls = []));
    const { status } = await run(page, { ...GUIDE_REQUEST });
    const session = env.app.last();
    assert.deepEqual(session.request, GUIDE_REQUEST, 'the back end sent exactly the guide\'s body');
    assert.equal(status.success, 'true', JSON.stringify(status));
    assert.deepEqual(calls.map((c) => c.path), ['/v1/client/device/passive/verify'], 'only the Prove Key spoke');
    assert.deepEqual(await calls[0]!.reply, { next: 'done' });
    assert.deepEqual(await callbacks(page), [['finish', null]], 'no number was asked for');
    assert.equal(await outboxSize(env), texts, 'no SMS was sent');
    return status;
  }

  test('the guide\'s exact step-2 request: a device whose key was bound earlier finishes "true" with no number typed and no SMS', { timeout: 150_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      const page = await open(artifacts, 'phone');

      // Earlier visit: the mobile flow with a number; Mobile Auth fails, the OTP binds the key.
      await page.evaluate((phoneNumber) => (window as any).startFlow({ possessionType: 'mobile', phoneNumber }), OTP_BOUND);
      const code = codeFrom(await waitForSms(env.server, OTP_BOUND, 0));
      await page.locator('#otp-form').waitFor({ state: 'visible', timeout: WAIT_MS });
      await page.fill('#otp', code);
      await page.click('#otp-submit');
      assert.deepEqual(await flowResult(page), { state: 'resolved' });
      const bound = env.app.last().statuses.at(-1)!;
      assert.equal(bound.success, 'true');
      assert.ok(bound.deviceId && bound.proveId);

      // Today: nothing typed. The token says the server has no number (mnp false), yet the key answers.
      const status = await guideRequestSilent(page);
      const claims = env.app.last().claims;
      assert.equal(claims.auth.next, 'device/passive');
      assert.equal(status.phoneNumber, OTP_BOUND, 'the bound number, in E.164');
      assert.equal(status.deviceId, bound.deviceId);
      assert.equal(status.proveId, bound.proveId);
      assert.equal(status.evaluation?.authentication?.result, 'pass');
      assert.equal(await smsCount(env.server, OTP_BOUND), 1, 'only the first visit\'s code was ever sent');
    });
  });

  test('a fresh device gets possession_required; unify-bind binds its key; the next guide request is silent', { timeout: 150_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      const page = await open(artifacts, 'phone');
      const calls = recordClientCalls(page, env.server.url);
      const texts = await outboxSize(env);

      const { authId, status } = await run(page, { ...GUIDE_REQUEST });
      assert.deepEqual(env.app.last().request, GUIDE_REQUEST);
      assert.equal(status.success, 'possession_required', JSON.stringify(status));
      assert.ok(status.evaluation?.authentication?.failureReasons?.['9100'], JSON.stringify(status.evaluation));
      assert.equal(status.phoneNumber, undefined, 'no number is known yet');
      assert.deepEqual(calls.map((c) => c.path), ['/v1/client/device/passive/register'], 'a new key was placed');
      const deviceId = await within(page.evaluate(() => (window as any).device.deviceId()), 'getDeviceId');
      assert.ok(deviceId);

      // The integrator ran its own check for the number the person gave it, and binds.
      const bound = await bind(page, authId, BIND_TYPED);
      assert.equal(bound.success, 'true', JSON.stringify(bound));
      assert.equal(bound.deviceId, deviceId);
      assert.equal(bound.phoneNumber, BIND_TYPED, 'as the integrator sent it');
      assert.ok(bound.proveId);
      const read: UnifyResult = await within(
        page.evaluate((id) => fetch('/api/verify', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ authId: id }) }).then((r) => r.json()), authId),
        'unify-status after the bind',
      );
      assert.equal(read.success, 'true');
      assert.equal(read.phoneNumber, BIND_TYPED);
      assert.equal(await outboxSize(env), texts, 'Handset sent nothing: the possession check was the integrator\'s');

      // The next visit with nothing typed is recognised by the key alone.
      const silent = await guideRequestSilent(page);
      assert.equal(silent.phoneNumber, BIND_E164, 'nothing typed this time: E.164');
      assert.equal(silent.deviceId, deviceId);
      assert.equal(silent.proveId, bound.proveId);
    });
  });

  test('proveId instead of a number uses that identity\'s number, for this client only', { timeout: 150_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      // An identity: a customer-supplied session with the number, bound by the integrator.
      const first = await open(artifacts, 'first-phone');
      const started = await run(first, { possessionType: 'none', phoneNumber: PROVE_ID_NUMBER });
      assert.equal(started.status.success, 'possession_required');
      const identity = await bind(first, started.authId, PROVE_ID_NUMBER);
      assert.equal(identity.success, 'true');
      const proveId = identity.proveId!;
      assert.ok(proveId);

      // Same device, proveId only, mobile: the key bound to that identity's number passes silently.
      const calls = recordClientCalls(first, env.server.url);
      const silent = await run(first, { possessionType: 'mobile', proveId });
      assert.equal(silent.status.success, 'true', JSON.stringify(silent.status));
      assert.equal(silent.status.phoneNumber, PROVE_ID_NUMBER);
      assert.equal(silent.status.proveId, proveId);
      assert.deepEqual(calls.map((c) => c.path), ['/v1/client/device/passive/verify']);

      // A fresh device, proveId only, mobile: the server knows the number (mnp true), so the
      // OtpStartStep is not asked for one, and the code goes to the identity's number.
      const fresh = await open(artifacts, 'fresh-phone');
      const seen = await smsCount(env.server, PROVE_ID_NUMBER);
      await fresh.evaluate((id) => (window as any).startFlow({ possessionType: 'mobile', proveId: id }), proveId);
      const code = codeFrom(await waitForSms(env.server, PROVE_ID_NUMBER, seen));
      await fresh.locator('#otp-form').waitFor({ state: 'visible', timeout: WAIT_MS });
      assert.equal(env.app.last().claims.auth.subs?.mob?.auths?.otp?.mnp, true);
      await fresh.fill('#otp', code);
      await fresh.click('#otp-submit');
      assert.deepEqual(await flowResult(fresh), { state: 'resolved' });
      const otp = env.app.last().statuses.at(-1)!;
      assert.equal(otp.success, 'true', JSON.stringify(otp));
      assert.equal(otp.phoneNumber, PROVE_ID_NUMBER);
      assert.equal(otp.proveId, proveId);
      assert.deepEqual((await callbacks(fresh))[0], ['otpStart', false]);

      // Another client cannot use it, and cannot tell it from a proveId that does not exist.
      const other = await env.server.createClient('other-tenant');
      const otherApi = handsetApi(env.server.url, other.clientId, other.clientSecret);
      const refused = async (id: string): Promise<HandsetApiError> => {
        const error = await otherApi.unify({ possessionType: 'mobile', clientRequestId: 'other-1', proveId: id }).then(
          () => assert.fail(`proveId ${id} was accepted for another client`),
          (e: unknown) => e,
        );
        assert.ok(error instanceof HandsetApiError, String(error));
        return error;
      };
      const foreign = await refused(proveId);
      const unknown = await refused('no-such-prove-id');
      assert.equal(foreign.status, 400);
      assert.equal(foreign.code, 8001);
      assert.equal(unknown.status, 400);
      assert.equal(unknown.code, 8001);
      assert.equal(foreign.message.replace('no-such-prove-id', '<id>'), unknown.message.replace('no-such-prove-id', '<id>').replace(proveId, '<id>'));
    });
  });

  test('mobile without a number, no carrier line: the OtpStartStep gets phoneNumberNeeded = true and the code goes to the number typed', { timeout: 150_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      const page = await open(artifacts, 'phone');
      const calls = recordClientCalls(page, env.server.url);
      const texts = await outboxSize(env);
      await page.evaluate(() => (window as any).startFlow({ possessionType: 'mobile', allowOTPRetry: true }));
      assert.equal(env.app.last().request.phoneNumber, undefined);

      // Mobile Auth cannot find the number; the OTP step asks the person for it.
      await page.locator('#phone-form').waitFor({ state: 'visible', timeout: WAIT_MS });
      assert.deepEqual(await callbacks(page), [['otpStart', true]]);
      assert.equal(await outboxSize(env), texts, 'no code is sent before a number is entered');
      await page.fill('#phone', MOBILE_TYPED);
      await page.click('#phone-submit');

      const code = codeFrom(await waitForSms(env.server, MOBILE_E164, 0));
      await page.locator('#otp-form').waitFor({ state: 'visible', timeout: WAIT_MS });
      await page.fill('#otp', code);
      await page.click('#otp-submit');
      assert.deepEqual(await flowResult(page), { state: 'resolved' });

      const status = env.app.last().statuses.at(-1)!;
      assert.equal(status.success, 'true', JSON.stringify(status));
      assert.equal(status.phoneNumber, MOBILE_TYPED, 'as the person typed it');
      assert.ok(status.deviceId && status.proveId);
      assert.deepEqual(await callbacks(page), [['otpStart', true], ['otpFinish', null], ['finish', null]]);
      const otpStarts = calls.filter((c) => c.path === '/v1/client/mobile/otp/start').map((c) => c.requestBody);
      assert.deepEqual(otpStarts, [{ mobileNumber: MOBILE_TYPED }]);
      assert.equal(await outboxSize(env), texts + 1, 'exactly one code, to the number typed');

      // The key is now bound to that number: the guide's request on this device is silent, and so
      // is the mobile flow without a number (the key answers before Mobile Auth is tried).
      const silent = await guideRequestSilent(page);
      assert.equal(silent.phoneNumber, MOBILE_E164);
      assert.equal(silent.deviceId, status.deviceId);
      const again = recordClientCalls(page, env.server.url);
      const mobile = await run(page, { possessionType: 'mobile' });
      assert.equal(mobile.status.success, 'true', JSON.stringify(mobile.status));
      assert.equal(mobile.status.phoneNumber, MOBILE_E164);
      assert.deepEqual(again.map((c) => c.path), ['/v1/client/device/passive/verify']);
      assert.equal(await outboxSize(env), texts + 1, 'still only the one code');
    });
  });

  test('desktop without a number: the Instant Link callback gets phoneNumberNeeded = true and the link goes to the number typed', { timeout: 150_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      const desktop = await open(artifacts, 'desktop', DESKTOP_USER_AGENT, 'app-script.html');
      const texts = await outboxSize(env);
      await desktop.evaluate((finalTargetUrl) => (window as any).startFlow({ possessionType: 'desktop', finalTargetUrl }), `${env.app.url}/landing.html`);
      assert.equal(env.app.last().request.phoneNumber, undefined);

      await desktop.locator('#phone-form').waitFor({ state: 'visible', timeout: WAIT_MS });
      assert.deepEqual(await callbacks(desktop), [['instantLink', true]]);
      assert.equal(await outboxSize(env), texts, 'no link is sent before a number is entered');
      await desktop.fill('#phone', DESKTOP_TYPED);
      await desktop.click('#phone-submit');

      const link = linkFrom(await waitForSms(env.server, DESKTOP_TYPED, 0));
      const phoneContext = await env.browser!.newContext({ userAgent: MOBILE_USER_AGENT });
      contexts.push(phoneContext);
      const phone = artifacts.track(await phoneContext.newPage(), 'phone');
      await phone.goto(link, { timeout: WAIT_MS });
      await phone.waitForFunction(() => (window as any).landing?.state !== 'running', undefined, { timeout: WAIT_MS });
      assert.deepEqual(await phone.evaluate(() => (window as any).landing), { state: 'resolved' });

      assert.deepEqual(await flowResult(desktop), { state: 'resolved' });
      const verified = await desktop.evaluate(() => (window as any).verified);
      assert.equal(verified.success, 'true', JSON.stringify(verified));
      assert.equal(verified.phoneNumber, DESKTOP_TYPED);
      assert.equal(verified.deviceId, undefined, 'a computer gets no device key');
      assert.deepEqual(await callbacks(desktop), [['instantLink', true], ['finish', null]]);
      assert.equal(await outboxSize(env), texts + 1, 'exactly one link, to the number typed');
    });
  });
});

describe('Unify without a typed number, with a carrier line', { skip }, () => {
  let env: Environment;
  let context: BrowserContext | undefined;

  before(async () => {
    env = await startEnvironment({ config: { mobileAuthLine: CARRIER_LINE } });
  });
  after(async () => {
    await context?.close();
    await env?.close();
  });

  test('mobile without a number: Mobile Auth discovers the line\'s number, no SMS, nothing typed', { timeout: 120_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      context = await env.browser!.newContext({ userAgent: MOBILE_USER_AGENT });
      const page = await openApp(context, artifacts, `${env.app.url}/app.html`, 'phone');
      const calls = recordClientCalls(page, env.server.url);
      await page.evaluate(() => (window as any).startFlow({ possessionType: 'mobile' }));
      assert.deepEqual(await flowResult(page), { state: 'resolved' });

      const status = env.app.last().statuses.at(-1)!;
      assert.equal(status.success, 'true', JSON.stringify(status));
      assert.equal(status.phoneNumber, CARRIER_LINE, 'discovered, so E.164');
      assert.ok(status.deviceId && status.proveId);
      const paths = calls.map((c) => c.path);
      assert.ok(paths.includes('/v1/client/mobile/instant/finish'), paths.join(' '));
      assert.ok(!paths.includes('/v1/client/mobile/otp/start'), paths.join(' '));
      const asked = await page.evaluate(() => (window as any).calls.map((c: any) => c.kind));
      assert.deepEqual(asked, ['finish'], 'the person was never asked for a number');
      assert.equal((await env.server.outbox()).length, 0, 'no SMS');
    });
  });
});
