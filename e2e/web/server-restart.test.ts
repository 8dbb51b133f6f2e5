/**
 * @module e2e/web/server-restart.test
 * A waiting desktop survives its Handset instance going away: the server closes the status
 * socket with 1001 on a graceful shutdown, the SDK opens it again, and the instance that takes
 * over (here: a new process on the same address and database) releases the desktop when the
 * phone opens the Instant Link.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { freePort, startTestServer, type TestServer, type TestServerOptions } from '@handset/server/testing';
import { startAppServer, type AppServer } from './support/app-server.ts';
import { chromiumSkipReason, DESKTOP_USER_AGENT, flowResult, launchBrowser, MOBILE_USER_AGENT, openApp, WAIT_MS, withArtifacts } from './support/browser.ts';
import { buildSdk } from './support/fixture.ts';
import { handsetApi } from './support/handset-api.ts';
import { linkFrom, waitForSms } from './support/outbox.ts';
import { instrumentTimersAndSockets } from './support/page-instruments.ts';

const PHONE = '+12001004037';
const skip = chromiumSkipReason();

describe('server restart while a desktop waits', { skip }, () => {
  let dir: string;
  let bundles: string;
  let options: TestServerOptions;
  let server: TestServer;
  let app: AppServer;
  let browser: Browser;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'handset-restart-'));
    bundles = buildSdk();
    const port = await freePort();
    options = { databaseUrl: join(dir, 'handset.db'), config: { port, publicUrl: `http://127.0.0.1:${port}` } };
    server = await startTestServer(options);
    app = await startAppServer(handsetApi(server.url, server.clientId, server.clientSecret), bundles);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(bundles, { recursive: true, force: true });
  });

  test('the SDK reopens the socket after 1001 and the new instance releases it', { timeout: 120_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      const desktopContext = await browser.newContext({ userAgent: DESKTOP_USER_AGENT });
      await desktopContext.addInitScript(instrumentTimersAndSockets);
      const desktop = await openApp(desktopContext, artifacts, `${app.url}/app-script.html`, 'desktop');
      await desktop.evaluate(
        ([phoneNumber, finalTargetUrl]) => (window as any).startFlow({ possessionType: 'desktop', phoneNumber, finalTargetUrl }),
        [PHONE, `${app.url}/landing.html`],
      );
      const link = linkFrom(await waitForSms(server, PHONE, 0));
      await desktop.waitForFunction(() => (window as any).__sockets[0]?.readyState === 1, undefined, { timeout: WAIT_MS });

      // The instance goes away gracefully; another takes its place on the same address and database.
      await server.close();
      await desktop.waitForFunction(() => (window as any).__sockets[0].readyState === 3, undefined, { timeout: WAIT_MS });
      assert.equal((await desktop.evaluate(() => (window as any).flow)).state, 'running', 'the flow keeps waiting');
      server = await startTestServer(options);
      await desktop.waitForFunction(() => (window as any).__sockets.some((s: WebSocket) => s.readyState === 1), undefined, { timeout: WAIT_MS });

      const phone = artifacts.track(await (await browser.newContext({ userAgent: MOBILE_USER_AGENT })).newPage(), 'phone');
      await phone.goto(link, { timeout: WAIT_MS });
      assert.deepEqual(await flowResult(desktop), { state: 'resolved' });
      assert.equal((await desktop.evaluate(() => (window as any).verified)).success, 'true');
      assert.ok((await desktop.evaluate(() => (window as any).__sockets.length)) >= 2, 'the socket was opened again');
      assert.equal(await desktop.evaluate(() => (window as any).__liveTimers.size), 0, 'no reconnect timer is left behind');
    });
  });
});
