/**
 * @module e2e/web/operator-mobile-auth.test
 * Operator Mobile Auth (CAMARA Number Verification, issue 11) in real Chromium with @handset/web
 * against a real Handset server configured with HANDSET_OPERATORS pointing at the operator
 * simulator. The simulator knows the browser's line by its cookie on the simulator's origin.
 *
 * The SDK's Mobile Auth runs with the `pixel` implementation: an image load follows the
 * operator's cross-origin redirect to Handset's callback; the `fetch` implementation cannot (a
 * CORS fetch refuses a redirect without CORS headers, and operators send none), and the last test
 * shows that it then falls back to OTP (docs/channels.md, "The browser leg").
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext } from 'playwright-core';
import { startOperatorSimulator, type OperatorSimulator } from '@handset/operator-sim';
import { freePort } from '@handset/server/testing';
import { chromiumSkipReason, flowResult, MOBILE_USER_AGENT, openApp, recordClientCalls, WAIT_MS, withArtifacts } from './support/browser.ts';
import { startEnvironment, type Environment } from './support/fixture.ts';
import { codeFrom, waitForSms } from './support/outbox.ts';

const LINE = '+12025550154';
const OTHER_NUMBER = '+12025550188';
const CLIENT_ID = 'handset-e2e';
const CLIENT_SECRET = 'operator-e2e-secret-7Rw3';

const skip = chromiumSkipReason();

describe('operator Mobile Auth in Chromium with @handset/web', { skip }, () => {
  let env: Environment;
  let sim: OperatorSimulator;
  const contexts: BrowserContext[] = [];

  before(async () => {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const redirectUri = `${publicUrl}/v1/operator/callback`;
    // No default line: only a browser with the line cookie is on the operator's network.
    sim = await startOperatorSimulator({ clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [redirectUri] }], lines: {} });
    const entry = { name: 'sim', issuer: sim.url, apiRoot: sim.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri };
    env = await startEnvironment({ config: { port, publicUrl }, overrides: { env: { HANDSET_OPERATORS: JSON.stringify([entry]) } } });
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await env?.close();
    await sim?.close();
  });

  /** A phone browser context; `line`: the number the operator sees it on (none: not on its network). */
  async function phone(line: string | null): Promise<BrowserContext> {
    const context = await env.browser!.newContext({ userAgent: MOBILE_USER_AGENT, viewport: { width: 412, height: 915 } });
    contexts.push(context);
    if (line) await context.addCookies([{ name: 'operator_sim_line', value: line, url: sim.url }]);
    return context;
  }

  /** Every request the page sent to the operator simulator. */
  function operatorRequests(context: BrowserContext): string[] {
    const seen: string[] = [];
    context.on('request', (request) => {
      if (request.url().startsWith(sim.url)) seen.push(new URL(request.url()).pathname);
    });
    return seen;
  }

  test('Mobile Auth through the operator: the line is verified, the back end reads "true", no SMS', { timeout: 120_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      const context = await phone(LINE);
      const toOperator = operatorRequests(context);
      const page = await openApp(context, artifacts, `${env.app.url}/app.html`, 'phone');
      const calls = recordClientCalls(page, env.server.url);
      await page.evaluate(() => ((window as any).mobileAuthImplementation = 'pixel'));
      await page.evaluate((phoneNumber) => (window as any).startFlow({ possessionType: 'mobile', phoneNumber }), LINE);
      assert.deepEqual(await flowResult(page), { state: 'resolved' });

      const status = env.app.last().statuses.at(-1)!;
      assert.equal(status.success, 'true', JSON.stringify(status));
      assert.ok(status.deviceId);
      assert.deepEqual(toOperator, ['/authorize'], 'the browser went to the operator');
      assert.deepEqual(
        calls.map((c) => c.path),
        ['/v1/client/device/passive/register', '/v1/client/mobile/instant/start', '/v1/client/mobile/instant/finish'],
      );
      assert.equal((await env.server.outbox()).filter((m) => m.to === LINE).length, 0, 'no SMS');
    });
  });

  test('an unrecognised line: Mobile Auth fails, the SDK falls back to OTP and the code finishes', { timeout: 120_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      const context = await phone(null);
      const toOperator = operatorRequests(context);
      const page = await openApp(context, artifacts, `${env.app.url}/app.html`, 'phone');
      const calls = recordClientCalls(page, env.server.url);
      await page.evaluate(() => ((window as any).mobileAuthImplementation = 'pixel'));
      await page.evaluate((phoneNumber) => (window as any).startFlow({ possessionType: 'mobile', phoneNumber }), OTHER_NUMBER);

      const code = codeFrom(await waitForSms(env.server, OTHER_NUMBER, 0));
      await page.locator('#otp-form').waitFor({ state: 'visible', timeout: WAIT_MS });
      assert.deepEqual(toOperator, ['/authorize'], 'the operator was asked');
      assert.ok(calls.some((c) => c.path === '/v1/client/mobile/instant/error'), 'the failure was reported');
      await page.fill('#otp', code);
      await page.click('#otp-submit');
      assert.deepEqual(await flowResult(page), { state: 'resolved' });
      const status = env.app.last().statuses.at(-1)!;
      assert.equal(status.success, 'true', JSON.stringify(status));
      assert.equal(status.phoneNumber, OTHER_NUMBER);
    });
  });

  test('a session with no number learns it from the operator: nothing typed, no SMS', { timeout: 120_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      const context = await phone(LINE);
      const page = await openApp(context, artifacts, `${env.app.url}/app.html`, 'phone');
      await page.evaluate(() => ((window as any).mobileAuthImplementation = 'pixel'));
      await page.evaluate(() => (window as any).startFlow({ possessionType: 'mobile' }));
      assert.deepEqual(await flowResult(page), { state: 'resolved' });
      const status = env.app.last().statuses.at(-1)!;
      assert.equal(status.success, 'true', JSON.stringify(status));
      assert.equal(status.phoneNumber, LINE, 'told by the operator, so E.164');
      const asked = await page.evaluate(() => (window as any).calls.map((c: any) => c.kind));
      assert.deepEqual(asked, ['finish'], 'the person was never asked for a number');
      assert.equal((await env.server.outbox()).filter((m) => m.to === LINE).length, 0, 'no SMS');
    });
  });

  test('the fetch implementation cannot follow the operator\'s redirect (no CORS there): it falls back to OTP', { timeout: 120_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      const context = await phone(LINE);
      const page = await openApp(context, artifacts, `${env.app.url}/app.html`, 'phone');
      const calls = recordClientCalls(page, env.server.url);
      const seen = (await env.server.outbox()).filter((m) => m.to === LINE).length;
      await page.evaluate((phoneNumber) => (window as any).startFlow({ possessionType: 'mobile', phoneNumber }), LINE);
      const code = codeFrom(await waitForSms(env.server, LINE, seen));
      await page.locator('#otp-form').waitFor({ state: 'visible', timeout: WAIT_MS });
      const report = calls.find((c) => c.path === '/v1/client/mobile/instant/error');
      assert.ok(report, 'the failure was reported');
      assert.match((report.requestBody as any).message, /GENERIC_COMMUNICATION_ERROR/);
      await page.fill('#otp', code);
      await page.click('#otp-submit');
      assert.deepEqual(await flowResult(page), { state: 'resolved' });
    });
  });
});
