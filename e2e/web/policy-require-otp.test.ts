/**
 * @module e2e/web/policy-require-otp.test
 * The fraud policy's `require_otp` with the real Web SDK in Chromium: a number the sandbox carrier
 * would pass through Mobile Auth meets a `require_otp` rule at `mobile_auth`; the server answers
 * the Mobile Auth start with `{error, next: "mobile/otp"}`, and the SDK follows `next` to OTP
 * without reporting an error (client-protocol.md §2.3), the code passes, and the back end reads
 * `true` with the rule's reason under `evaluation.risk`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext } from 'playwright-core';
import { chromiumSkipReason, flowResult, MOBILE_USER_AGENT, openApp, recordClientCalls, WAIT_MS, withArtifacts } from './support/browser.ts';
import { startEnvironment, type Environment } from './support/fixture.ts';
import { codeFrom, smsCount, waitForSms } from './support/outbox.ts';

/** The sandbox carrier recognises it: without the rule, Mobile Auth would pass (mobile-flow.test.ts). */
const NUMBER = '+12001004017';

const skip = chromiumSkipReason();

describe('require_otp with the Web SDK', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-e2e-policy-'));
  let env: Environment;
  const contexts: BrowserContext[] = [];

  before(async () => {
    const file = join(dir, 'policy.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        rules: [{ id: 'otp-for-unknown-lines', at: ['mobile_auth'], when: { signal: 'line_type', op: '==', value: 'unknown' }, action: 'require_otp', reason: 9134 }],
      }),
    );
    env = await startEnvironment({ mobileAuthNumbers: [NUMBER], overrides: { env: { ...process.env, HANDSET_POLICY_FILE: file } } });
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await env?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('Mobile Auth is refused, the SDK falls back to OTP, the session succeeds with the reason under risk', { timeout: 120_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      const context = await env.browser!.newContext({ userAgent: MOBILE_USER_AGENT, viewport: { width: 412, height: 915 } });
      contexts.push(context);
      const page = await openApp(context, artifacts, `${env.app.url}/app.html`, 'phone');
      const calls = recordClientCalls(page, env.server.url);
      await page.evaluate((phoneNumber) => (window as any).startFlow({ possessionType: 'mobile', phoneNumber }), NUMBER);

      const code = codeFrom(await waitForSms(env.server, NUMBER, 0));
      await page.locator('#otp-form').waitFor({ state: 'visible', timeout: WAIT_MS });
      await page.fill('#otp', code);
      await page.click('#otp-submit');
      assert.deepEqual(await flowResult(page), { state: 'resolved' });

      assert.deepEqual(
        calls.map((c) => c.path),
        ['/v1/client/device/passive/register', '/v1/client/mobile/instant/start', '/v1/client/mobile/otp/start', '/v1/client/mobile/otp/finish'],
        'no carrier round trip and no error report: the SDK followed next to OTP',
      );
      assert.equal(await smsCount(env.server, NUMBER), 1);
      const status = env.app.last().statuses.at(-1)!;
      assert.equal(status.success, 'true');
      assert.deepEqual(status.evaluation, { authentication: { result: 'pass' }, risk: { result: 'fail', failureReasons: { 9134: 'Non-fixed VoIP.' } } });
    });
  });
});
