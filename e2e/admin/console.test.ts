/**
 * @module e2e/admin/console.test
 * The operator console in real Chromium, as a new operator uses it: an admin made with
 * `handset admins create`, sign-in (a wrong secret and a disabled admin refused), a session made by
 * a real browser flow found and its timeline read, a device revoked so that the next flow on that
 * phone has to prove possession again, the conversion and delivery charts drawn from the day's
 * data (screenshots under e2e/artifacts/admin/), sign-out, a timed-out session, and a cross-site
 * form post refused. No page breaks its CSP.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { startTestServer } from '@handset/server/testing';
import { ManualClock } from '../../packages/server/src/ports/clock.ts';
import { chromiumSkipReason, flowResult, launchBrowser, MOBILE_USER_AGENT, openApp, recordClientCalls, WAIT_MS, withArtifacts, type Artifacts } from '../web/support/browser.ts';
import { startEnvironment, type Environment } from '../web/support/fixture.ts';
import { codeFrom, waitForSms } from '../web/support/outbox.ts';
import { createAdminWithCli, handsetCli, screenshot, signIn, watchCsp, type AdminCredentials, type CspWatch } from './support.ts';

const NUMBER = '+12001004201';
/** Not a Mobile Auth number: its flow proves possession by SMS code (the delivery chart's data). */
const OTP_NUMBER = '+12001004202';
const MASKED = '+1******4201';
const skip = chromiumSkipReason();

describe('operator console', { skip }, () => {
  let env: Environment;
  let dir: string;
  let database: string;
  let admin: AdminCredentials;
  let consoleContext: BrowserContext;
  let phoneContext: BrowserContext;
  let csp: CspWatch;
  let operator: Page;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'handset-console-e2e-'));
    database = join(dir, 'handset.db');
    env = await startEnvironment({ databaseUrl: database, mobileAuthNumbers: [NUMBER] });
    admin = await createAdminWithCli(database, 'Olga Operator');
    consoleContext = await env.browser!.newContext({ viewport: { width: 1280, height: 900 } });
    phoneContext = await env.browser!.newContext({ userAgent: MOBILE_USER_AGENT });
  });
  after(async () => {
    await consoleContext?.close();
    await phoneContext?.close();
    await env?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs one flow on the phone page and returns what the integrator saw. */
  async function phoneFlow(page: Page, body: Record<string, unknown>): Promise<{ correlationId: string; success: string; deviceId?: string }> {
    await page.evaluate((start) => (window as any).startFlow(start), body);
    assert.deepEqual(await flowResult(page), { state: 'resolved' });
    const session = env.app.last();
    const status = session.statuses.at(-1)!;
    return { correlationId: session.correlationId, success: status.success, deviceId: status.deviceId };
  }

  async function operatorPage(artifacts: Artifacts): Promise<Page> {
    if (operator && !operator.isClosed()) return operator;
    operator = artifacts.track(await consoleContext.newPage(), 'console');
    csp = await watchCsp(operator);
    return operator;
  }

  test('sign-in: a wrong secret and a disabled admin are refused; the right secret opens the console', { timeout: 180_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      const disabled = await createAdminWithCli(database, 'Gone');
      await handsetCli(['admins', 'disable', disabled.adminId, '--database', database]);
      const page = await operatorPage(artifacts);

      for (const attempt of [{ ...admin, secret: `${admin.secret}x` }, disabled]) {
        await page.goto(`${env.server.url}/admin`, { timeout: WAIT_MS });
        await page.waitForURL(/\/admin\/sign-in\?next=%2Fadmin$/, { timeout: WAIT_MS });
        await page.getByLabel('Admin id').fill(attempt.adminId);
        await page.getByLabel('Secret').fill(attempt.secret);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.waitForURL(/\/admin\/sign-in\?error=wrong/, { timeout: WAIT_MS });
        assert.match(await page.getByRole('alert').innerText(), /do not open the console/);
      }
      assert.deepEqual(await consoleContext.cookies(), [], 'no session cookie yet');

      const response = await page.goto(`${env.server.url}/admin/sign-in`, { timeout: WAIT_MS });
      assert.match(response!.headers()['content-security-policy'] ?? '', /^default-src 'none'; script-src 'self'/);
      await page.getByLabel('Admin id').fill(admin.adminId);
      await page.getByLabel('Secret').fill(admin.secret);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${env.server.url}/admin`, { timeout: WAIT_MS });
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Overview');
      assert.match(await page.locator('.who').innerText(), /Signed in as Olga Operator/);
      const [cookie] = await consoleContext.cookies();
      assert.equal(cookie?.name, 'handset_admin');
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, 'Strict');
      assert.equal(cookie.path, '/admin');
      assert.equal(await page.evaluate(() => document.cookie), '', 'page scripts cannot read the session cookie');
    });
  });

  test('a session made by a real browser flow is found and its timeline read', { timeout: 180_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      const phone = await openApp(phoneContext, artifacts, `${env.app.url}/app.html`, 'phone');
      const flow = await phoneFlow(phone, { possessionType: 'mobile', phoneNumber: NUMBER, clientRequestId: 'order-e2e-1' });
      assert.equal(flow.success, 'true');

      const page = await operatorPage(artifacts);
      await page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name: 'Sessions' }).click();
      await page.waitForURL(/\/admin\/sessions$/, { timeout: WAIT_MS });
      await page.getByLabel('Client request id').fill('order-e2e-1');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForURL(/clientRequestId=order-e2e-1/, { timeout: WAIT_MS });
      const rows = page.locator('table tbody tr');
      assert.equal(await rows.count(), 1, 'exactly the one session');
      assert.match(await rows.first().innerText(), new RegExp(`${flow.correlationId}[\\s\\S]*mobile[\\s\\S]*\\+1\\*{6}4201[\\s\\S]*succeeded`));
      await screenshot(page, 'sessions-search');

      await page.getByRole('link', { name: flow.correlationId }).click();
      await page.waitForURL(new RegExp(`/admin/sessions/${flow.correlationId}$`), { timeout: WAIT_MS });
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), `Session ${flow.correlationId}`);
      const facts = await page.locator('dl.facts').innerText();
      assert.match(facts, /order-e2e-1/);
      assert.ok(facts.includes(MASKED));
      assert.ok(facts.includes(flow.deviceId!), 'the device the flow registered');
      const timeline = await page.getByRole('table', { name: 'What happened, oldest first' }).innerText();
      assert.match(timeline, /created/);
      assert.match(timeline, /succeeded/);
      assert.ok(!(await page.content()).includes('2001004201'), 'no full number on the page');
      await screenshot(page, 'session-timeline');
    });
  });

  test('revoking the device in the console makes the next flow on that phone prove possession again', { timeout: 180_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      const phone = await openApp(phoneContext, artifacts, `${env.app.url}/app.html`, 'phone');
      // Bound: the key alone passes, no possession step.
      const quiet = recordClientCalls(phone, env.server.url);
      const before = await phoneFlow(phone, { possessionType: 'mobile', phoneNumber: NUMBER });
      assert.equal(before.success, 'true');
      assert.deepEqual(quiet.map((c) => c.path), ['/v1/client/device/passive/verify']);

      const page = await operatorPage(artifacts);
      await page.getByRole('link', { name: 'Devices' }).click();
      await page.waitForURL(/\/admin\/devices$/, { timeout: WAIT_MS });
      await page.getByLabel('Phone number (exact, with country code)').fill(NUMBER);
      await page.getByRole('button', { name: 'Find devices' }).click();
      await page.getByRole('heading', { name: `Devices of ${MASKED}` }).waitFor({ timeout: WAIT_MS });
      const row = page.locator('tr', { hasText: before.deviceId! });
      assert.match(await row.innerText(), /Revoke/);
      await screenshot(page, 'devices-before-revoke');
      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByRole('button', { name: `Revoke device ${before.deviceId}` }).click();
      await page.getByRole('status').filter({ hasText: 'Revoked device' }).waitFor({ timeout: WAIT_MS });
      assert.match(await page.locator('tr', { hasText: before.deviceId! }).innerText(), /Revoked \d{4}-/);
      await screenshot(page, 'devices-after-revoke');

      // The phone comes back: its key is refused (10006), and possession is proven again.
      const calls = recordClientCalls(phone, env.server.url);
      const after = await phoneFlow(phone, { possessionType: 'mobile', phoneNumber: NUMBER });
      const paths = calls.map((c) => c.path);
      const verify = calls.find((c) => c.path === '/v1/client/device/passive/verify');
      assert.ok(verify, `the old key was presented (${paths.join(', ')})`);
      assert.equal((await verify.reply)?.error?.code, 10006, 'the revoked key is refused');
      assert.ok(paths.includes('/v1/client/mobile/instant/finish'), `possession was proven again (${paths.join(', ')})`);
      assert.equal(after.success, 'true');
      assert.notEqual(after.deviceId, before.deviceId, 'a new key');
    });
  });

  test('the charts draw today’s conversion funnel and the delivery counts', { timeout: 180_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      // One more flow, by SMS code this time, so that a message was sent today.
      const phone = await openApp(phoneContext, artifacts, `${env.app.url}/app.html`, 'otp-phone');
      await phone.evaluate((phoneNumber) => (window as any).startFlow({ possessionType: 'mobile', phoneNumber }), OTP_NUMBER);
      const code = codeFrom(await waitForSms(env.server, OTP_NUMBER, 0));
      await phone.locator('#otp-form').waitFor({ state: 'visible', timeout: WAIT_MS });
      await phone.fill('#otp', code);
      await phone.click('#otp-submit');
      assert.deepEqual(await flowResult(phone), { state: 'resolved' });
      assert.equal(env.app.last().statuses.at(-1)?.success, 'true');

      const page = await operatorPage(artifacts);
      await page.getByRole('link', { name: 'Overview' }).click();
      await page.waitForURL(`${env.server.url}/admin`, { timeout: WAIT_MS });
      await page.waitForFunction(() => Object.keys((window as any).consoleCharts ?? {}).length >= 2, undefined, { timeout: WAIT_MS });
      const today = new Date().toISOString().slice(0, 10);
      const charts = await page.evaluate((day) => {
        const result: Record<string, unknown> = {};
        for (const [id, u] of Object.entries((window as any).consoleCharts as Record<string, any>)) {
          const canvas = u.ctx.canvas as HTMLCanvasElement;
          const pixels = u.ctx.getImageData(0, 0, canvas.width, canvas.height).data as Uint8ClampedArray;
          // How many pixels carry each series' colour: a drawn, non-empty bar has many.
          const painted = u.series.slice(1).map((s: any) => {
            const hex = String(s._fill ?? s.fill);
            const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
            let count = 0;
            for (let p = 0; p < pixels.length; p += 4) if (pixels[p] === r && pixels[p + 1] === g && pixels[p + 2] === b) count++;
            return count;
          });
          // The x series' legend value is the whole category (a day, a provider).
          const x = u.data[0] as number[];
          const at = x.findIndex((i) => u.series[0].value(u, i) === day);
          result[id] = {
            width: canvas.width,
            height: canvas.height,
            series: u.series.slice(1).map((s: any) => s.label),
            values: u.series.slice(1).map((_: unknown, i: number) => (at >= 0 ? u.data[i + 1][at] : u.data[i + 1][0])),
            painted,
            legend: [...u.root.querySelectorAll('.u-legend .u-series')].map((el: Element) => el.textContent?.trim()),
          };
        }
        return result;
      }, today);
      const mobile = charts['conversion-mobile'] as any;
      assert.ok(mobile, `a mobile conversion chart (${Object.keys(charts).join(', ')})`);
      assert.ok(mobile.width > 300 && mobile.height > 200, `canvas ${mobile.width}x${mobile.height}`);
      assert.deepEqual(mobile.series, ['Started', 'Possession proven', 'Succeeded']);
      assert.deepEqual(mobile.values, [4, 4, 4], 'today: four sessions started, proven and succeeded');
      assert.ok(mobile.painted.every((n: number) => n > 50), `every series is drawn (${mobile.painted})`);
      assert.equal(mobile.legend.length, 4, 'legend: the day and three series');
      const delivery = charts.delivery as any;
      assert.deepEqual(delivery.series, ['Sent', 'Delivered', 'Failed']);
      assert.equal(delivery.values[2], 0, 'nothing failed');
      assert.ok(delivery.width > 300 && delivery.height > 200);
      // Mobile Auth sends no SMS: the one code is the day's only message.
      assert.equal((await env.server.outbox()).length, 1);
      assert.deepEqual(delivery.values, [1, 1, 0]);
      assert.ok(delivery.painted[0] > 50 && delivery.painted[1] > 50, `sent and delivered are drawn (${delivery.painted})`);
      // The numbers are also in tables, for screen readers and exact values.
      const table = await page.getByRole('table', { name: 'Conversion per day: mobile' }).innerText();
      assert.match(table, new RegExp(`${today}\\s+4\\s+4\\s+4\\s+100 %`));
      const path = await screenshot(page, 'overview-charts');
      console.log(`# screenshot: ${path}`);
    });
  });

  test('a form posted from another site is refused and changes nothing', { timeout: 120_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      await operatorPage(artifacts); // signed in: the browser holds the console cookie
      const attacker = artifacts.track(await consoleContext.newPage(), 'attacker');
      await attacker.goto(`${env.app.url}/app.html`, { timeout: WAIT_MS });
      const clientsBefore = (await env.server.server.deps.db.kysely.selectFrom('clients').select('id').execute()).length;
      const answer = attacker.waitForResponse((r) => r.url() === `${env.server.url}/admin/clients`, { timeout: WAIT_MS });
      await attacker.evaluate((target) => {
        const form = document.createElement('form');
        form.method = 'post';
        form.action = target;
        const field = document.createElement('input');
        field.name = 'name';
        field.value = 'planted by another site';
        form.append(field);
        document.body.append(form);
        form.submit();
      }, `${env.server.url}/admin/clients`);
      const response = await answer;
      assert.equal(response.status(), 403);
      assert.equal(((await response.json()) as { code: number }).code, 8003);
      const clientsAfter = (await env.server.server.deps.db.kysely.selectFrom('clients').select('id').execute()).length;
      assert.equal(clientsAfter, clientsBefore, 'no client was created');
      await attacker.close();
    });
  });

  test('sign-out ends the session: the console asks for a sign-in again', { timeout: 120_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      const page = await operatorPage(artifacts);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/admin\/sign-in\?signed-out=1$/, { timeout: WAIT_MS });
      assert.match(await page.getByRole('status').innerText(), /You have signed out/);
      assert.deepEqual(await consoleContext.cookies(), []);
      await page.goto(`${env.server.url}/admin/clients`, { timeout: WAIT_MS });
      await page.waitForURL(/\/admin\/sign-in\?next=%2Fadmin%2Fclients$/, { timeout: WAIT_MS });
      assert.deepEqual(await csp.violations(), [], 'no CSP violation on any console page');
    });
  });
});

describe('operator console session timeout', { skip }, () => {
  test('an idle session ends: the next click lands on the sign-in page, which says why', { timeout: 180_000 }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'handset-console-idle-'));
    const database = join(dir, 'handset.db');
    const clock = new ManualClock();
    const server = await startTestServer({ databaseUrl: database, overrides: { clock } });
    const browser = await launchBrowser();
    try {
      await withArtifacts(t.name, async (artifacts) => {
        const admin = await createAdminWithCli(database, 'Idle');
        const page = artifacts.track(await (await browser.newContext()).newPage(), 'console');
        const csp = await watchCsp(page);
        await signIn(page, server.url, admin, '/admin/messages');
        assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Messages');
        clock.advance(31 * 60 * 1000);
        await page.getByRole('link', { name: 'Clients' }).click();
        await page.waitForURL(/\/admin\/sign-in\?next=%2Fadmin%2Fclients&expired=1$/, { timeout: WAIT_MS });
        assert.match(await page.getByRole('status').innerText(), /Your console session has ended/);
        // Signing in again goes back to where the operator was going.
        await page.getByLabel('Admin id').fill(admin.adminId);
        await page.getByLabel('Secret').fill(admin.secret);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.waitForURL(`${server.url}/admin/clients`, { timeout: WAIT_MS });
        assert.deepEqual(await csp.violations(), []);
      });
    } finally {
      await browser.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
