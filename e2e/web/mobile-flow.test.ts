/**
 * @module e2e/web/mobile-flow.test
 * Mobile web in real Chromium against a real Handset server: a new device registers its Prove
 * Key and passes Mobile Auth through the sandbox carrier; when Mobile Auth fails the SDK reports it
 * and falls back to SMS OTP (wrong code, resend, change of number, right code).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext } from 'playwright-core';
import { chromiumSkipReason, flowResult, MOBILE_USER_AGENT, openApp, recordClientCalls, WAIT_MS, within, withArtifacts } from './support/browser.ts';
import { startEnvironment, type Environment } from './support/fixture.ts';
import { codeFrom, smsCount, waitForSms, wrongCode } from './support/outbox.ts';

const MOBILE_AUTH_NUMBER = '+12001004017';
const OTP_NUMBER = '+12001004031';
const CHANGED_NUMBER = '+12001004032';

const skip = chromiumSkipReason();

describe('mobile web', { skip }, () => {
  let env: Environment;
  const contexts: BrowserContext[] = [];

  before(async () => {
    env = await startEnvironment({ mobileAuthNumbers: [MOBILE_AUTH_NUMBER] });
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await env?.close();
  });

  async function mobileContext(): Promise<BrowserContext> {
    const context = await env.browser!.newContext({ userAgent: MOBILE_USER_AGENT, viewport: { width: 412, height: 915 } });
    contexts.push(context);
    return context;
  }

  test('a new device registers its Prove Key, passes Mobile Auth and the back end reads "true"', { timeout: 120_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      const page = await openApp(await mobileContext(), artifacts, `${env.app.url}/app.html`, 'phone');
      const calls = recordClientCalls(page, env.server.url);
      await page.evaluate((phoneNumber) => (window as any).startFlow({ possessionType: 'mobile', phoneNumber }), MOBILE_AUTH_NUMBER);
      assert.deepEqual(await flowResult(page), { state: 'resolved' });

      const session = env.app.last();
      assert.equal(session.statuses.length, 1);
      const status = session.statuses[0]!;
      assert.equal(status.success, 'true');
      assert.ok(status.deviceId);

      // The finish step fired once, with the session's authId.
      const finishCalls = await page.evaluate(() => (window as any).calls.filter((c: any) => c.kind === 'finish'));
      assert.deepEqual(finishCalls, [{ kind: 'finish', authId: session.authId }]);

      // Wire: register → Mobile Auth start → finish; every call carried PA-Version and the Bearer token.
      assert.deepEqual(
        calls.map((c) => c.path),
        ['/v1/client/device/passive/register', '/v1/client/mobile/instant/start', '/v1/client/mobile/instant/finish'],
      );
      for (const call of calls) {
        assert.equal(call.headers['pa-version'], 'ProveAuth/3.6.2 Contract/2.15.1 WEB/1');
        assert.match(call.headers.authorization ?? '', /^Bearer ey/);
      }
      const register = calls[0]!.requestBody as any;
      assert.match(register.deviceName, /^Chrome 120\.0 on Android 14$/);
      assert.equal(register.registrations[0].publicKey.alg, 'ES256');
      assert.match(register.registrations[0].publicKey.key, /^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=]+\n-----END PUBLIC KEY-----$/);
      assert.deepEqual(calls[1]!.requestBody, { cellularIp: null, implementation: 'fetch' });

      // The Prove Key record: layout of §4.2, non-extractable private key, deviceId from the server.
      const record = await within(page.evaluate(
        () =>
          new Promise<any>((resolve, reject) => {
            const open = indexedDB.open('ProveAuth');
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const db = open.result;
              const get = db.transaction('Registrations').objectStore('Registrations').getAll();
              const keyPath = db.transaction('Registrations').objectStore('Registrations').keyPath;
              get.onsuccess = () => {
                db.close();
                resolve(
                  get.result.map((r: any) => ({
                    keys: Object.keys(r).sort(),
                    namespace: r.namespace,
                    endpoint: r.endpoint,
                    deviceId: r.deviceId,
                    algorithm: r.algorithm,
                    createdAt: typeof r.createdAt,
                    privateExtractable: r.keys.privateKey.extractable,
                    privateType: r.keys.privateKey.type,
                    curve: r.keys.privateKey.algorithm.namedCurve,
                    keyPath,
                  })),
                );
              };
            };
          }),
      ), 'reading IndexedDB');
      assert.equal(record.length, 1);
      assert.deepEqual(record[0].keys, ['algorithm', 'createdAt', 'deviceId', 'endpoint', 'keyId', 'keys', 'namespace']);
      assert.equal(record[0].endpoint, env.server.url);
      assert.equal(record[0].deviceId, status.deviceId);
      assert.equal(record[0].algorithm, 'ES256');
      assert.equal(record[0].createdAt, 'number');
      assert.equal(record[0].privateExtractable, false);
      assert.equal(record[0].privateType, 'private');
      assert.equal(record[0].curve, 'P-256');
      assert.equal(record[0].keyPath, 'namespace');
      const settings = await page.evaluate(() => [localStorage.getItem('ProveAuth.DeviceId'), localStorage.getItem('ProveAuth.namespace')]);
      assert.deepEqual(settings, [status.deviceId, record[0].namespace]);
      assert.equal(await within(page.evaluate(() => (window as any).device.isRegistered()), 'isDeviceRegistered'), true);
      assert.equal(await within(page.evaluate(() => (window as any).device.deviceId()), 'getDeviceId'), status.deviceId);

      // Mobile Auth needed no SMS.
      assert.equal(await smsCount(env.server, MOBILE_AUTH_NUMBER), 0);
    });
  });

  test('when Mobile Auth fails, OTP takes over: wrong code, resend, change of number, right code', { timeout: 120_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      const page = await openApp(await mobileContext(), artifacts, `${env.app.url}/app.html`, 'phone');
      const calls = recordClientCalls(page, env.server.url);
      await page.evaluate((phoneNumber) => (window as any).startFlow({ possessionType: 'mobile', phoneNumber, allowOTPRetry: true }), OTP_NUMBER);

      // Mobile Auth is refused by the carrier → reported → the server sends the flow to OTP.
      const firstCode = codeFrom(await waitForSms(env.server, OTP_NUMBER, 0));
      await page.locator('#otp-form').waitFor({ state: 'visible', timeout: WAIT_MS });
      const report = calls.find((c) => c.path === '/v1/client/mobile/instant/error');
      assert.ok(report, 'Mobile Auth failure was reported');
      assert.equal((report.requestBody as any).code, 10002);
      assert.match((report.requestBody as any).message, /\(stepCode=AUTHENTICATION, errorCode=AUTH_BAD_CREDENTIALS\)$/);
      assert.equal(report.headers['pa-sig-version'], '3', 'the report is v3-signed (a key exists)');
      assert.ok(report.headers['pa-signature'] && report.headers['pa-kid'] && report.headers['pa-challenge']);
      assert.ok(calls.some((c) => c.path === '/v1/client/challenge'));

      // A wrong code shows the retry error.
      await page.fill('#otp', wrongCode(firstCode));
      await page.click('#otp-submit');
      await page.locator('#otp-form').waitFor({ state: 'visible', timeout: WAIT_MS });
      await page.waitForFunction(() => document.getElementById('otp-error')!.textContent !== '', undefined, { timeout: WAIT_MS });
      assert.match(await page.textContent('#otp-error') ?? '', /^Error Code: 1, /);

      // Resend sends a new SMS and clears the error.
      await page.click('#otp-resend');
      const resent = codeFrom(await waitForSms(env.server, OTP_NUMBER, 1));
      await page.locator('#otp-form').waitFor({ state: 'visible', timeout: WAIT_MS });
      assert.equal(await page.textContent('#otp-error'), '');

      // Change of number: an invalid number is refused with a validation error, then a valid one works.
      await page.click('#otp-change');
      await page.locator('#phone-form').waitFor({ state: 'visible', timeout: WAIT_MS });
      await page.fill('#phone', '12');
      await page.click('#phone-submit');
      await page.waitForFunction(() => document.getElementById('phone-error')!.textContent !== '', undefined, { timeout: WAIT_MS });
      assert.match(await page.textContent('#phone-error') ?? '', /^Error Code: \d+, /);
      await page.fill('#phone', CHANGED_NUMBER);
      await page.click('#phone-submit');
      const changedCode = codeFrom(await waitForSms(env.server, CHANGED_NUMBER, 0));
      await page.locator('#otp-form').waitFor({ state: 'visible', timeout: WAIT_MS });
      assert.notEqual(resent, undefined);

      // The right code finishes the flow.
      await page.fill('#otp', changedCode);
      await page.click('#otp-submit');
      assert.deepEqual(await flowResult(page), { state: 'resolved' });
      const status = env.app.last().statuses.at(-1)!;
      assert.equal(status.success, 'true');

      const steps = await page.evaluate(() => (window as any).calls.map((c: any) => [c.kind, c.phoneNumberNeeded ?? null, c.code]));
      assert.deepEqual(steps, [
        ['otpStart', false, null],
        ['otpFinish', null, null],
        ['otpFinish', null, 1],
        ['otpFinish', null, null],
        ['otpStart', true, null],
        ['otpStart', true, steps[5]![2]],
        ['otpFinish', null, null],
        ['finish', null, undefined],
      ]);
      assert.ok(typeof steps[5]![2] === 'number' && steps[5]![2] !== 0, 'phone validation error carries a code');
      const otpStarts = calls.filter((c) => c.path === '/v1/client/mobile/otp/start').map((c) => c.requestBody);
      assert.deepEqual(otpStarts, [{}, {}, { mobileNumber: '12' }, { mobileNumber: CHANGED_NUMBER }]);
    });
  });
});
