/**
 * The browser's leg of operator Mobile Auth in real Chromium: a page sends the browser to the
 * authorization URL NumberVerificationClient built; the operator simulator recognises the line
 * (its cookie on the simulator's origin) and redirects to a local callback page with code and
 * state; the client then verifies the number. An unrecognised line comes back with
 * login_required and falls back. (Wiring into @handset/web's Mobile Auth step is later work.)
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import type { OperatorSimulator } from '@handset/operator-sim';
import { chromiumLaunchOptions, chromiumSkipReason, PHONE_USER_AGENT } from '../../../../e2e/support/chromium.js';
import { NumberVerificationClient } from '../../src/mobile-auth/camara/number-verification.js';
import { entryFor, LINE, operator, SESSION, STATE_KEY } from './support.js';

const skip = chromiumSkipReason('operator Mobile Auth in Chromium');

describe('operator Mobile Auth, browser leg, in Chromium', { skip }, () => {
  let callback: Server;
  let callbackUrl: string;
  const arrivals: URLSearchParams[] = [];
  let sim: OperatorSimulator;
  let client: NumberVerificationClient;
  let browser: Browser;

  before(async () => {
    // The customer page and Handset's callback stand-in: the callback records its query and shows a page.
    callback = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname === '/v1/operator/callback') {
        arrivals.push(url.searchParams);
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>callback</title><p id="back">back at Handset</p>');
        return;
      }
      if (url.pathname === '/start') {
        const target = url.searchParams.get('to') ?? '';
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>start</title><a id="go" href="${target.replace(/"/g, '&quot;').replace(/</g, '&lt;')}">continue</a>`);
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
    callbackUrl = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/v1/operator/callback`;
    sim = await operator(callbackUrl, { lines: {} });
    client = new NumberVerificationClient(entryFor(sim, callbackUrl), { stateKey: STATE_KEY });
    browser = await chromium.launch(chromiumLaunchOptions(60_000));
  });
  after(async () => {
    await browser?.close();
    await sim?.close();
    callback?.closeAllConnections();
    await new Promise((resolve) => callback?.close(resolve));
  });

  /** Opens the start page on a phone whose line is `line`, follows the link; returns the callback's query. */
  async function follow(line: string, phoneNumber: string | null): Promise<URLSearchParams> {
    const started = await client.start({ sessionId: SESSION, phoneNumber });
    assert.ok(started.ok);
    const context = await browser.newContext({ userAgent: PHONE_USER_AGENT });
    try {
      await context.addCookies([{ name: 'operator_sim_line', value: line, url: sim.url }]);
      const page = await context.newPage();
      const origin = new URL(callbackUrl).origin;
      await page.goto(`${origin}/start?to=${encodeURIComponent(started.url)}`);
      const before = arrivals.length;
      await page.click('#go');
      await page.waitForURL((u) => u.pathname === '/v1/operator/callback', { timeout: 30_000 });
      assert.equal(await page.textContent('#back'), 'back at Handset');
      assert.equal(arrivals.length, before + 1);
      return arrivals[arrivals.length - 1]!;
    } finally {
      await context.close();
    }
  }

  it('comes back with code and state, and the number verifies', async () => {
    const query = await follow(LINE, LINE);
    assert.ok(query.get('code'));
    assert.equal(client.sessionOf(query.get('state')), SESSION);
    assert.deepEqual(await client.finish({ sessionId: SESSION, phoneNumber: LINE, query }), { outcome: 'verified', phoneNumber: LINE, method: 'verify' });
  });

  it('learns the line of a session without a number', async () => {
    const query = await follow('+447700900123', null);
    assert.deepEqual(await client.finish({ sessionId: SESSION, phoneNumber: null, query }), {
      outcome: 'verified',
      phoneNumber: '+447700900123',
      method: 'device-phone-number',
    });
  });

  it('comes back with login_required for an unrecognised line, and falls back', async () => {
    const query = await follow('none', LINE);
    assert.equal(query.get('error'), 'login_required');
    assert.equal(query.get('code'), null);
    assert.deepEqual(await client.finish({ sessionId: SESSION, phoneNumber: LINE, query }), {
      outcome: 'fallback',
      reason: 'login_required',
      detail: 'error=login_required',
    });
  });
});
