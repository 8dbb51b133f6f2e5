/**
 * @module e2e/web/returning-device.test
 * A returning device: after OTP bound the Prove Key, the same browser — after a page reload, and
 * after a full browser restart on the same profile directory — passes silently with the key
 * (`device/passive/verify` → `done`) and no SMS is sent.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import {
  chromiumSkipReason,
  flowResult,
  launchProfile,
  MOBILE_USER_AGENT,
  openApp,
  recordClientCalls,
  WAIT_MS,
  withArtifacts,
  type Artifacts,
} from './support/browser.ts';
import { startEnvironment, type Environment } from './support/fixture.ts';
import { codeFrom, smsCount, waitForSms } from './support/outbox.ts';

const NUMBER = '+12001004035';
const skip = chromiumSkipReason();

describe('returning device', { skip }, () => {
  let env: Environment;
  let profileDir: string;
  let profile: BrowserContext | undefined;

  before(async () => {
    env = await startEnvironment({ browser: false });
    profileDir = mkdtempSync(join(tmpdir(), 'handset-e2e-profile-'));
  });
  after(async () => {
    await profile?.close();
    await env?.close();
    rmSync(profileDir, { recursive: true, force: true });
  });

  async function silentPass(page: Page): Promise<string> {
    const calls = recordClientCalls(page, env.server.url);
    const before = await smsCount(env.server, NUMBER);
    await page.evaluate((phoneNumber) => (window as any).startFlow({ possessionType: 'mobile', phoneNumber }), NUMBER);
    assert.deepEqual(await flowResult(page), { state: 'resolved' });
    assert.deepEqual(calls.map((c) => c.path), ['/v1/client/device/passive/verify']);
    assert.deepEqual(await calls[0]!.reply, { next: 'done' });
    assert.equal(await smsCount(env.server, NUMBER), before, 'no SMS was sent');
    const status = env.app.last().statuses.at(-1)!;
    assert.equal(status.success, 'true');
    return status.deviceId!;
  }

  async function open(artifacts: Artifacts, label: string): Promise<Page> {
    profile = await launchProfile(profileDir, MOBILE_USER_AGENT);
    return openApp(profile, artifacts, `${env.app.url}/app.html`, label);
  }

  test('after a reload and after a browser restart, the Prove Key passes with no SMS', { timeout: 150_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      // First visit: new key, Mobile Auth refused (number not configured) → OTP binds the key.
      let page = await open(artifacts, 'first-run');
      await page.evaluate((phoneNumber) => (window as any).startFlow({ possessionType: 'mobile', phoneNumber }), NUMBER);
      const code = codeFrom(await waitForSms(env.server, NUMBER, 0));
      await page.locator('#otp-form').waitFor({ state: 'visible', timeout: WAIT_MS });
      await page.fill('#otp', code);
      await page.click('#otp-submit');
      assert.deepEqual(await flowResult(page), { state: 'resolved' });
      const first = env.app.last().statuses.at(-1)!;
      assert.equal(first.success, 'true');
      assert.ok(first.deviceId);

      // Reload: same page, new document.
      await page.reload({ timeout: WAIT_MS });
      await page.waitForFunction(() => (window as any).ready === true, undefined, { timeout: WAIT_MS });
      assert.equal(await silentPass(page), first.deviceId);

      // Restart: close the whole browser, launch it again on the same profile directory.
      await profile!.close();
      profile = undefined;
      page = await open(artifacts, 'after-restart');
      assert.equal(await page.evaluate(() => localStorage.getItem('ProveAuth.DeviceId')), first.deviceId);
      assert.equal(await silentPass(page), first.deviceId);
    });
  });
});
