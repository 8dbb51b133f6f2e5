/**
 * @module e2e/web/desktop-instant-link.test
 * Desktop Instant Link in real Chromium: the desktop page (the `<script>` build, secondary role)
 * waits on the status WebSocket while a second browser context — the phone — opens the SMS link,
 * lands on finalTargetUrl and completes there with `finishInstantLink`. Also: cancelling a waiting
 * `authenticate()` closes its socket and leaves no timer behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
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
} from './support/browser.ts';
import { startEnvironment, type Environment } from './support/fixture.ts';
import { linkFrom, waitForSms } from './support/outbox.ts';
import { instrumentTimersAndSockets } from './support/page-instruments.ts';

const DESKTOP_NUMBER = '+12001004033';
const CANCEL_NUMBER = '+12001004034';

/** Records every text frame the page's WebSockets send and receive. */
function recordSocketFrames(): void {
  const w = window as any;
  const frames: Array<[string, string]> = [];
  const Native = window.WebSocket;
  w.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener('message', (event) => frames.push(['in', String(event.data)]));
      w.__socket = this;
    }
    override send(data: string): void {
      frames.push(['out', data]);
      super.send(data);
    }
  };
  w.__frames = frames;
}

const KEEP_ALIVE_NUMBER = '+12001004036';
const skip = chromiumSkipReason();

describe('desktop Instant Link', { skip }, () => {
  let env: Environment;
  const contexts: BrowserContext[] = [];

  before(async () => {
    env = await startEnvironment();
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await env?.close();
  });

  async function context(userAgent: string): Promise<BrowserContext> {
    const created = await env.browser!.newContext({ userAgent });
    contexts.push(created);
    return created;
  }

  function socketStates(page: Page): Promise<number[]> {
    return page.evaluate(() => (window as any).__sockets.map((s: WebSocket) => s.readyState));
  }

  test('the desktop waits, the phone opens the link, both finish', { timeout: 120_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      const desktopContext = await context(DESKTOP_USER_AGENT);
      await desktopContext.addInitScript(instrumentTimersAndSockets);
      const desktop = await openApp(desktopContext, artifacts, `${env.app.url}/app-script.html`, 'desktop');
      const calls = recordClientCalls(desktop, env.server.url);
      assert.equal(await desktop.evaluate(() => (window as any).device.authenticator().isMobileWeb()), false);
      await desktop.evaluate(
        ([phoneNumber, finalTargetUrl]) => (window as any).startFlow({ possessionType: 'desktop', phoneNumber, finalTargetUrl }),
        [DESKTOP_NUMBER, `${env.app.url}/landing.html`],
      );

      // The SMS goes out; the desktop keeps waiting on its socket.
      const link = linkFrom(await waitForSms(env.server, DESKTOP_NUMBER, 0));
      await desktop.waitForFunction(() => (window as any).__sockets[0]?.readyState === 1, undefined, { timeout: WAIT_MS });
      const start = calls.find((c) => c.path === '/v1/client/mobile/instantlink/start');
      assert.ok(start);
      assert.deepEqual(start.requestBody, { sourceIp: null, isMobile: false });
      assert.equal((await desktop.evaluate(() => (window as any).flow)).state, 'running');
      const socketUrl = await desktop.evaluate(() => (window as any).__sockets[0].url as string);
      assert.ok(socketUrl.startsWith(`${env.server.url.replace(/^http/, 'ws')}/v1/client/status?token=`));

      // The phone opens the link, is redirected to finalTargetUrl and completes there.
      const phoneContext = await context(MOBILE_USER_AGENT);
      const phone = artifacts.track(await phoneContext.newPage(), 'phone');
      await phone.goto(link, { timeout: WAIT_MS });
      await phone.waitForFunction(() => (window as any).landing?.state !== 'running', undefined, { timeout: WAIT_MS });
      assert.deepEqual(await phone.evaluate(() => (window as any).landing), { state: 'resolved' });
      const landed = new URL(phone.url());
      assert.equal(`${landed.origin}${landed.pathname}`, `${env.app.url}/landing.html`);
      assert.equal(landed.searchParams.get('asc'), 'true');
      const authId = env.app.last().authId;
      assert.equal(landed.searchParams.get('authId'), authId);
      const phoneVerified = await phone.evaluate(() => (window as any).verified);
      assert.equal(phoneVerified.authId, authId);
      assert.equal(phoneVerified.success, 'true');

      // The desktop's finish step fires from the socket's {"next":"done"}.
      assert.deepEqual(await flowResult(desktop), { state: 'resolved' });
      const desktopVerified = await desktop.evaluate(() => (window as any).verified);
      assert.equal(desktopVerified.authId, authId);
      assert.equal(desktopVerified.success, 'true');
      assert.deepEqual(await socketStates(desktop), [3]);
      assert.equal(await desktop.evaluate(() => (window as any).__liveTimers.size), 0);
    });
  });

  test('while waiting, the desktop pings every 30 s and the server\'s pong keeps the socket open', { timeout: 120_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      const desktopContext = await context(DESKTOP_USER_AGENT);
      await desktopContext.clock.install();
      await desktopContext.addInitScript(recordSocketFrames);
      const desktop = await openApp(desktopContext, artifacts, `${env.app.url}/app-script.html`, 'desktop');
      await desktop.evaluate(
        ([phoneNumber, finalTargetUrl]) => (window as any).startFlow({ possessionType: 'desktop', phoneNumber, finalTargetUrl }),
        [KEEP_ALIVE_NUMBER, `${env.app.url}/landing.html`],
      );
      const link = linkFrom(await waitForSms(env.server, KEEP_ALIVE_NUMBER, 0));
      await desktop.waitForFunction(() => (window as any).__socket?.readyState === 1, undefined, { timeout: WAIT_MS });
      assert.deepEqual(await desktop.evaluate(() => (window as any).__frames), []);

      // Two keep-alive periods on the page's clock: each sends "ping" and gets "pong" back.
      for (let round = 1; round <= 2; round++) {
        await desktop.clock.runFor(30_000);
        await desktop.waitForFunction((n) => (window as any).__frames.filter((f: string[]) => f[1] === 'pong').length === n, round, { timeout: WAIT_MS });
      }
      assert.deepEqual(await desktop.evaluate(() => (window as any).__frames), [
        ['out', 'ping'],
        ['in', 'pong'],
        ['out', 'ping'],
        ['in', 'pong'],
      ]);
      assert.equal(await desktop.evaluate(() => (window as any).__socket.readyState), 1);
      assert.equal((await desktop.evaluate(() => (window as any).flow)).state, 'running');

      // Still listening: the link completes the desktop flow.
      const phone = artifacts.track(await (await context(MOBILE_USER_AGENT)).newPage(), 'phone');
      await phone.goto(link, { timeout: WAIT_MS });
      assert.deepEqual(await flowResult(desktop), { state: 'resolved' });
      assert.equal((await desktop.evaluate(() => (window as any).verified)).success, 'true');
    });
  });

  test('a cancelled authenticate() closes its socket and leaves no timers', { timeout: 120_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      const desktopContext = await context(DESKTOP_USER_AGENT);
      await desktopContext.addInitScript(instrumentTimersAndSockets);
      const desktop = await openApp(desktopContext, artifacts, `${env.app.url}/app.html`, 'desktop');
      await desktop.evaluate(
        ([phoneNumber, finalTargetUrl]) => (window as any).startCancelable({ possessionType: 'desktop', phoneNumber, finalTargetUrl }),
        [CANCEL_NUMBER, `${env.app.url}/landing.html`],
      );
      await waitForSms(env.server, CANCEL_NUMBER, 0);
      await desktop.waitForFunction(() => (window as any).__sockets[0]?.readyState === 1, undefined, { timeout: WAIT_MS });
      // While waiting, exactly one timer runs: the 30 s keep-alive ping.
      assert.equal(await desktop.evaluate(() => (window as any).__liveTimers.size), 1);

      await desktop.evaluate(() => (window as any).running.cancel());
      assert.deepEqual(await flowResult(desktop), { state: 'resolved' });
      await desktop.waitForFunction(() => (window as any).__sockets.every((s: WebSocket) => s.readyState === 3), undefined, { timeout: WAIT_MS });
      assert.deepEqual(await socketStates(desktop), [3]);
      assert.equal(await desktop.evaluate(() => (window as any).__liveTimers.size), 0);
      // As in Prove's SDK, a cancelled flow still hands the authId to the finish step.
      const finishes = await desktop.evaluate(() => (window as any).calls.filter((c: any) => c.kind === 'finish'));
      assert.deepEqual(finishes, [{ kind: 'finish', authId: env.app.last().authId }]);
      // A second cancel is a no-op.
      await within(desktop.evaluate(() => (window as any).running.cancel()), 'second cancel');
    });
  });
});
