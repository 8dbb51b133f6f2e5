/**
 * @module e2e/admin/accessibility.test
 * Accessibility of every console page in real Chromium, with data on it (a real flow, a device
 * list, a client secret just shown): axe-core's WCAG 2.x A/AA rules and best practices find
 * nothing, and the console works from the keyboard alone (skip link first, visible focus, the
 * navigation and forms reachable with Tab and used with Enter). No page breaks its CSP.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { chromiumSkipReason, flowResult, MOBILE_USER_AGENT, openApp, WAIT_MS, withArtifacts } from '../web/support/browser.ts';
import { startEnvironment, type Environment } from '../web/support/fixture.ts';
import { axeViolations, createAdminWithCli, screenshot, signIn, watchCsp, type AdminCredentials } from './support.ts';

const NUMBER = '+12001004301';
const skip = chromiumSkipReason();

describe('console accessibility', { skip }, () => {
  let env: Environment;
  let dir: string;
  let admin: AdminCredentials;
  let context: BrowserContext;
  let correlationId: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'handset-console-a11y-'));
    const database = join(dir, 'handset.db');
    env = await startEnvironment({ databaseUrl: database, mobileAuthNumbers: [NUMBER] });
    admin = await createAdminWithCli(database, 'Ada');
    context = await env.browser!.newContext({ viewport: { width: 1280, height: 900 } });
  });
  after(async () => {
    await context?.close();
    await env?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('axe-core finds no violation on any console page, with data on it', { timeout: 240_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      const phoneContext = await env.browser!.newContext({ userAgent: MOBILE_USER_AGENT });
      try {
        const phone = await openApp(phoneContext, artifacts, `${env.app.url}/app.html`, 'phone');
        await phone.evaluate((phoneNumber) => (window as any).startFlow({ possessionType: 'mobile', phoneNumber }), NUMBER);
        assert.deepEqual(await flowResult(phone), { state: 'resolved' });
        correlationId = env.app.last().correlationId;
      } finally {
        await phoneContext.close();
      }

      const page = artifacts.track(await context.newPage(), 'console');
      const csp = await watchCsp(page);
      const results: Record<string, string[]> = {};
      const check = async (name: string): Promise<void> => {
        await page.locator('h1').waitFor({ timeout: WAIT_MS });
        results[name] = await axeViolations(page);
      };

      await page.goto(`${env.server.url}/admin/sign-in`, { timeout: WAIT_MS });
      await check('sign-in');
      await page.goto(`${env.server.url}/admin/sign-in?error=wrong`, { timeout: WAIT_MS });
      await check('sign-in with an error');
      await signIn(page, env.server.url, admin);
      await page.waitForFunction(() => Object.keys((window as any).consoleCharts ?? {}).length >= 1, undefined, { timeout: WAIT_MS });
      await check('overview with charts');
      await page.goto(`${env.server.url}/admin/sessions`, { timeout: WAIT_MS });
      await check('sessions');
      await page.goto(`${env.server.url}/admin/sessions?number=12`, { timeout: WAIT_MS });
      await check('sessions with a refused filter');
      await page.goto(`${env.server.url}/admin/sessions/${correlationId}`, { timeout: WAIT_MS });
      await check('session timeline');
      await page.goto(`${env.server.url}/admin/devices`, { timeout: WAIT_MS });
      await check('devices');
      await page.getByLabel('Phone number (exact, with country code)').fill(NUMBER);
      await page.getByRole('button', { name: 'Find devices' }).click();
      await page.locator('table').waitFor({ timeout: WAIT_MS });
      await check('devices of a number');
      await page.goto(`${env.server.url}/admin/clients`, { timeout: WAIT_MS });
      await page.getByLabel('Name').fill('Accessible shop');
      await page.getByRole('button', { name: 'Create client' }).click();
      await page.locator('[data-secret]').waitFor({ timeout: WAIT_MS });
      await check('clients with a new secret');
      await screenshot(page, 'clients-new-secret');
      await page.goto(`${env.server.url}/admin/messages`, { timeout: WAIT_MS });
      await check('messages');
      await screenshot(page, 'messages');

      assert.equal(Object.keys(results).length, 10);
      assert.deepEqual(Object.entries(results).filter(([, v]) => v.length > 0), [], 'no axe-core violations');
      assert.deepEqual(await csp.violations(), [], 'no CSP violation');
    });
  });

  test('the console works from the keyboard: skip link, visible focus, navigation, forms', { timeout: 180_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      const page: Page = artifacts.track(await context.newPage(), 'keyboard');
      await page.goto(`${env.server.url}/admin`, { timeout: WAIT_MS });
      await page.locator('h1').waitFor({ timeout: WAIT_MS });
      const focused = () =>
        page.evaluate(() => {
          const el = document.activeElement as HTMLElement;
          const style = getComputedStyle(el);
          return { tag: el.tagName, text: el.textContent?.trim() ?? '', id: el.id, outline: style.outlineStyle, outlineWidth: style.outlineWidth };
        });

      // First Tab: the skip link, visible and outlined; Enter moves focus to the main content.
      await page.keyboard.press('Tab');
      let now = await focused();
      assert.deepEqual([now.tag, now.text], ['A', 'Skip to content']);
      assert.notEqual(now.outline, 'none', 'focus is visible');
      const box = await page.locator('.skip-link').boundingBox();
      assert.ok(box && box.x >= 0 && box.y >= 0, 'the focused skip link is on screen');
      await page.keyboard.press('Enter');
      now = await focused();
      assert.equal(now.id, 'main');

      // Tab from the top of the page reaches the navigation; Enter follows a link.
      await page.reload({ timeout: WAIT_MS });
      await page.locator('h1').waitFor({ timeout: WAIT_MS });
      const seen: string[] = [];
      for (let i = 0; i < 10 && !seen.includes('Devices'); i++) {
        await page.keyboard.press('Tab');
        now = await focused();
        seen.push(now.text);
        assert.notEqual(now.outline, 'none', `focus is visible on ${now.text}`);
      }
      assert.ok(seen.includes('Sessions') && seen.includes('Devices'), `the navigation is reachable (${seen.join(' | ')})`);
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/admin\/devices$/, { timeout: WAIT_MS });

      // A form from the keyboard: the first field after the navigation, typed in, submitted with Enter.
      await page.locator('#main').focus();
      await page.keyboard.press('Tab');
      now = await focused();
      assert.deepEqual([now.tag, now.id], ['INPUT', 'number']);
      await page.keyboard.type(NUMBER);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: /^Devices of / }).waitFor({ timeout: WAIT_MS });
      assert.equal(await page.locator('table tbody tr').count(), 1);
    });
  });
});
