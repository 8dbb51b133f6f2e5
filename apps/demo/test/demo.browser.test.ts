/**
 * @module test/demo.browser.test
 * The acceptance test of the demo: real Chromium uses the sign-up page as a person would, against
 * a real platform and the demo back end, reading Handset's texts from the development outbox and
 * the demo's own codes from the page's demo inbox:
 *
 * - desktop: the Instant Link, opened from the outbox page in a second tab that plays the phone;
 * - mobile (phone user agent): a wrong and then the right OTP from the outbox; the returning device
 *   is then recognised silently, until the person makes it forget its key; the Mobile Auth number
 *   needs no text at all;
 * - customer-supplied possession (chosen explicitly in a desktop browser): the demo's own code and
 *   unify-bind; after a number change, 9101 and a bind to the new number; the mobile flow with the
 *   old number, then "Start again with rebind";
 * - "Returning customer — no number": a fresh browser is asked for its number and binds through
 *   the demo's own check (a code sent to a number the person then changed no longer counts); the
 *   same browser is then recognised with nothing typed, no text and no demo code.
 *
 * Screenshots of every end state go to e2e/artifacts/demo/ (git-ignored).
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import {
  chromiumSkipReason,
  COMPUTER_USER_AGENT,
  consoleOf,
  launchBrowser,
  PHONE_USER_AGENT,
  screenshot,
  WAIT_MS,
} from './support/browser.ts';
import { MOBILE_AUTH_NUMBER, startEnvironment, type Environment } from './support/environment.ts';

const skip = chromiumSkipReason();

describe('the demo in Chromium, used as a person would', { skip }, () => {
  let env: Environment;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const consoles = new Map<string, string[]>();

  before(async () => {
    env = await startEnvironment();
    browser = await launchBrowser();
  });
  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await env?.close();
  });

  async function newContext(userAgent: string, phone = false): Promise<BrowserContext> {
    const context = await browser.newContext({ userAgent, viewport: phone ? { width: 412, height: 915 } : { width: 1200, height: 900 } });
    context.setDefaultTimeout(WAIT_MS);
    contexts.push(context);
    return context;
  }

  async function openDemo(context: BrowserContext, label: string): Promise<Page> {
    const page = await context.newPage();
    consoles.set(label, consoleOf(page));
    await page.goto(env.demo.url);
    await page.locator('body[data-ready="true"]').waitFor();
    return page;
  }

  /** Runs a test body; on failure prints the pages' consoles and keeps a screenshot. */
  async function withDiagnostics(name: string, pages: () => Page[], body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      for (const [label, lines] of consoles) console.log(`# console of ${label}:\n${lines.join('\n')}`);
      for (const [i, page] of pages().entries()) if (!page.isClosed()) await screenshot(page, `failed-${name}-${i}`).catch(() => undefined);
      throw error;
    }
  }

  async function textOf(locator: Locator): Promise<string> {
    return (await locator.textContent({ timeout: WAIT_MS }))?.trim() ?? '';
  }

  /** Waits (bounded) until the outbox holds more than `seen` texts to `to`; returns the newest body. */
  async function waitForText(to: string, seen: number): Promise<string> {
    const deadline = Date.now() + WAIT_MS;
    while (Date.now() < deadline) {
      const messages = (await env.outbox()).filter((m) => m.to === to);
      if (messages.length > seen) return messages[0]!.body;
      await delay(150);
    }
    throw new Error(`no new text to …${to.slice(-4)} within ${WAIT_MS} ms`);
  }

  async function textsTo(to: string): Promise<number> {
    return (await env.outbox()).filter((m) => m.to === to).length;
  }

  /** The code in a message: Handset's OTP (4 to 6 digits by its template) or the demo's (6). */
  function codeIn(body: string): string {
    const code = /\b(\d{4,6})\b/.exec(body)?.[1];
    assert.ok(code, 'no code in the message');
    return code;
  }

  function wrong(code: string): string {
    return [...code].map((d) => String((Number(d) + 1) % 10)).join('');
  }

  async function startCheck(page: Page, phoneNumber: string, options: { flow?: RegExp; rebind?: boolean } = {}): Promise<void> {
    await page.getByLabel('Phone number', { exact: true }).fill(phoneNumber);
    if (options.flow) await page.getByRole('radio', { name: options.flow }).check();
    await page.getByRole('checkbox', { name: /^Rebind/ }).setChecked(options.rebind ?? false);
    await page.getByRole('button', { name: 'Verify my number' }).click();
  }

  async function outcome(page: Page, success: string): Promise<string> {
    await page.locator(`#outcome-card[data-success="${success}"]`).waitFor();
    return textOf(page.locator('#outcome-headline'));
  }

  async function enterOtp(page: Page, code: string): Promise<void> {
    const input = page.getByLabel('Code from the text message');
    await input.fill(code);
    await page.getByRole('button', { name: 'Submit code' }).click();
  }

  async function demoInboxCode(page: Page): Promise<string> {
    const newest = page.locator('#inbox-messages li').first();
    await newest.filter({ hasText: 'Demo Co:' }).waitFor();
    return codeIn(await textOf(newest));
  }

  async function confirmOwnCheck(page: Page, code: string): Promise<void> {
    await page.getByLabel('Code from the demo inbox').fill(code);
    await page.getByRole('button', { name: 'Confirm and bind' }).click();
  }

  async function startAgain(page: Page): Promise<void> {
    await page.getByRole('button', { name: 'Start again', exact: true }).click();
  }

  async function demoInboxSize(page: Page): Promise<number> {
    return page.locator('#inbox-messages li', { hasText: 'Demo Co:' }).count();
  }

  test('desktop: the Instant Link, opened from the outbox on the "phone", verifies the number', async () => {
    const number = '+12025550140';
    const context = await newContext(COMPUTER_USER_AGENT);
    const page = await openDemo(context, 'desktop');
    let phone: Page | undefined;
    await withDiagnostics('desktop', () => [page, ...(phone ? [phone] : [])], async () => {
      assert.match(await textOf(page.locator('#detected')), /looks like a computer/);
      assert.equal(await page.getByRole('radio', { name: /^Desktop/ }).isChecked(), true, 'isMobileWeb() preselects desktop');
      await startCheck(page, '+1 202 555 0140');
      await page.getByText('Waiting for you to open the link on your phone').waitFor();

      // The person opens the SMS outbox from the page and taps the link there: that tab is the phone.
      [phone] = await Promise.all([context.waitForEvent('page'), page.locator('#link-panel').getByRole('link', { name: 'SMS outbox' }).click()]);
      consoles.set('desktop-phone', consoleOf(phone));
      await phone.waitForLoadState();
      await phone.locator('tr', { hasText: number }).getByRole('link').click();
      await phone.waitForURL(/\/instant-link-done/);
      await phone.locator('body[data-ready="true"]').waitFor();
      assert.equal(await textOf(phone.locator('#headline')), 'Your phone number is verified.');
      assert.equal(new URL(phone.url()).search, '', 'the authId is taken out of the address bar');
      await screenshot(phone, 'desktop-phone-side-verified');

      assert.equal(await outcome(page, 'true'), 'Verified: you hold +1******0140.');
      assert.match(await textOf(page.locator('#outcome-explanation')), /opened the Instant Link/);
      assert.equal(await textOf(page.locator('#evaluation')), 'authentication: passed');
      assert.equal(await page.locator('#outcome-facts').getByText('Device ID').count(), 0, 'a computer gets no device key');
      await screenshot(page, 'desktop-verified');
    });
  });

  test('mobile: a wrong then the right OTP from the outbox; the returning phone is recognised silently', async () => {
    const number = '+12025550124';
    const context = await newContext(PHONE_USER_AGENT, true);
    const page = await openDemo(context, 'mobile');
    await withDiagnostics('mobile', () => [page], async () => {
      assert.match(await textOf(page.locator('#detected')), /looks like a phone/);
      assert.equal(await page.getByRole('radio', { name: /^Mobile:/ }).isChecked(), true, 'isMobileWeb() preselects mobile');
      assert.match(await textOf(page.locator('#device-state')), /no device key yet/);
      await startCheck(page, number);

      // Mobile Auth does not know this number, so the SDK falls back to a texted code.
      await page.getByLabel('Code from the text message').waitFor();
      const code = codeIn(await waitForText(number, 0));
      await enterOtp(page, wrong(code));
      await page.locator('#otp-error').getByText('That code was not accepted').waitFor();
      await enterOtp(page, code);
      assert.equal(await outcome(page, 'true'), 'Verified: you hold +1******0124.');
      assert.equal(await textOf(page.locator('#evaluation')), 'authentication: passed');
      await page.locator('#outcome-facts').getByText('Device ID (Prove Key)').waitFor();
      await page.locator('#device-state').getByText('This browser holds a device key').waitFor();
      await screenshot(page, 'mobile-otp-verified');

      // Same phone, same number: the device key answers, and no text is sent.
      await startAgain(page);
      await startCheck(page, number);
      assert.equal(await outcome(page, 'true'), 'Verified: you hold +1******0124.');
      assert.equal(await textsTo(number), 1, 'no second text');
      await screenshot(page, 'mobile-returning-device-verified');

      // The person makes the browser forget its key (unregistered at the platform, too).
      await page.getByRole('button', { name: "Forget this browser's device key" }).click();
      await page.locator('#device-state').getByText('This browser holds no device key yet.').waitFor();
    });
  });

  test('mobile: the number the carrier recognises is verified by Mobile Auth without any text', async () => {
    const context = await newContext(PHONE_USER_AGENT, true);
    const page = await openDemo(context, 'mobile-auth');
    await withDiagnostics('mobile-auth', () => [page], async () => {
      assert.match(await textOf(page.locator('#number-hint')), /\+12025550100/);
      await startCheck(page, MOBILE_AUTH_NUMBER);
      assert.equal(await outcome(page, 'true'), 'Verified: you hold +1******0100.');
      assert.equal(await textsTo(MOBILE_AUTH_NUMBER), 0);
      await screenshot(page, 'mobile-auth-verified');
    });
  });

  test('customer-supplied possession and bind; then a number change, bind, and rebind', async () => {
    const first = '+12025550131';
    const second = '+12025550132';
    const context = await newContext(COMPUTER_USER_AGENT);
    const page = await openDemo(context, 'customer');
    await withDiagnostics('customer', () => [page], async () => {
      // 1. A new device key, nothing proven yet: Handset asks for the demo's own check (9100).
      await startCheck(page, first, { flow: /^Customer-supplied/ });
      assert.equal(await outcome(page, 'possession_required'), 'Handset needs the demo to check the phone itself.');
      assert.match(await textOf(page.locator('#evaluation')), /authentication: failed.*no device key bound to this phone number.*code 9100/s);
      assert.equal(await page.getByRole('button', { name: 'Start again with rebind' }).isVisible(), false);
      assert.equal(await textOf(page.locator('#check-sent-to')), '+1******0131');
      let code = await demoInboxCode(page);
      await confirmOwnCheck(page, wrong(code));
      await page.locator('#check-error').getByText('That code is not right. 2 tries left.').waitFor();
      await confirmOwnCheck(page, code);
      assert.equal(await outcome(page, 'true'), 'Verified: you hold +1******0131.');
      assert.match(await textOf(page.locator('#outcome-explanation')), /own check proved you hold \+1\*\*\*\*\*\*0131, and Handset bound/);
      assert.equal(await page.getByLabel('Code from the demo inbox').isVisible(), false);
      await screenshot(page, 'customer-bound');

      // 2. The person changes number: the key is bound to the old one (9101); the demo checks and binds.
      await startAgain(page);
      await startCheck(page, second, { flow: /^Customer-supplied/ });
      assert.equal(await outcome(page, 'possession_required'), 'Handset needs the demo to check the phone itself.');
      assert.match(await textOf(page.locator('#evaluation')), /bound to a different phone number.*code 9101/s);
      await screenshot(page, 'customer-number-changed');
      code = await demoInboxCode(page);
      await confirmOwnCheck(page, code);
      assert.equal(await outcome(page, 'true'), 'Verified: you hold +1******0132.');
      await screenshot(page, 'customer-rebound-by-bind');

      // 3. Back to the first number in the mobile flow: the OTP proves it, but the key is bound
      //    elsewhere (9101) — until the person starts again with rebind.
      await startAgain(page);
      let seen = await textsTo(first);
      await startCheck(page, first, { flow: /^Mobile:/ });
      await page.getByLabel('Code from the text message').waitFor();
      await enterOtp(page, codeIn(await waitForText(first, seen)));
      assert.equal(await outcome(page, 'possession_required'), 'Handset needs the demo to check the phone itself.');
      assert.match(await textOf(page.locator('#outcome-explanation')), /start again with rebind/);
      seen = await textsTo(first);
      await page.getByRole('button', { name: 'Start again with rebind' }).click();
      await page.getByLabel('Code from the text message').waitFor();
      await enterOtp(page, codeIn(await waitForText(first, seen)));
      assert.equal(await outcome(page, 'true'), 'Verified: you hold +1******0131.');
      await screenshot(page, 'mobile-rebind-verified');

      // 4. The key now belongs to the first number again: the customer-supplied flow needs no check.
      await startAgain(page);
      await startCheck(page, first, { flow: /^Customer-supplied/ });
      assert.equal(await outcome(page, 'true'), 'Verified: you hold +1******0131.');
      assert.match(await textOf(page.locator('#outcome-explanation')), /already bound to \+1\*\*\*\*\*\*0131, so no check was needed/);
      await screenshot(page, 'customer-returning-device-verified');
    });
  });

  test('returning customer, no number: a fresh browser binds through the demo\'s check, then is recognised with nothing typed', async () => {
    const typo = '+1 202 555 0150';
    const number = '+1 202 555 0151';
    const context = await newContext(COMPUTER_USER_AGENT);
    const page = await openDemo(context, 'returning');
    await withDiagnostics('returning', () => [page], async () => {
      // 1. Nothing typed, and this browser's key is bound to nothing: Handset cannot recognise it (9100).
      await page.getByRole('button', { name: 'Returning customer — no number' }).click();
      assert.equal(await outcome(page, 'possession_required'), 'Handset needs the demo to check the phone itself.');
      assert.match(await textOf(page.locator('#outcome-explanation')), /You typed no number, and this browser has no device key bound to one yet/);
      assert.match(await textOf(page.locator('#evaluation')), /authentication: failed.*no device key bound to any phone number yet.*code 9100/s);
      assert.equal(await page.locator('#outcome-facts').getByText('Phone number').count(), 0, 'no number is known yet');
      assert.equal(await page.getByRole('button', { name: 'Start again with rebind' }).isVisible(), false);
      await screenshot(page, 'returning-fresh-browser');

      // 2. The demo asks for the number; the person gives one, then corrects it. The code sent to
      //    the first number proves nothing about the second.
      await page.getByLabel("Number for Demo Co's code").fill(typo);
      await page.getByRole('button', { name: 'Send me a code' }).click();
      // The page fills this in once the demo's back end answers: wait for it (slow under load).
      await page.locator('#check-sent-to', { hasText: /\S/ }).waitFor();
      assert.equal(await textOf(page.locator('#check-sent-to')), '+1******0150');
      const typoCode = await demoInboxCode(page);
      await page.getByRole('button', { name: 'Use another number' }).click();
      await page.getByLabel("Number for Demo Co's code").fill(number);
      await page.getByRole('button', { name: 'Send me a code' }).click();
      await page.locator('#check-sent-to', { hasText: '+1******0151' }).waitFor();
      await page.locator('#inbox-messages li').first().filter({ hasText: '0151' }).waitFor();
      const code = await demoInboxCode(page);
      if (typoCode !== code) {
        await confirmOwnCheck(page, typoCode);
        await page.locator('#check-error').getByText('That code is not right. 2 tries left.').waitFor();
      }
      await confirmOwnCheck(page, code);
      assert.equal(await outcome(page, 'true'), 'Verified: you hold +1******0151.');
      assert.match(await textOf(page.locator('#outcome-explanation')), /"Returning customer" recognises this browser with nothing typed/);
      await screenshot(page, 'returning-bound');

      // 3. Next visit: nothing typed, no text from Handset, no code from the demo.
      await startAgain(page);
      const demoCodes = await demoInboxSize(page);
      await page.getByRole('button', { name: 'Returning customer — no number' }).click();
      assert.equal(await outcome(page, 'true'), 'Welcome back: recognised as +1******0151.');
      assert.match(await textOf(page.locator('#outcome-explanation')), /You typed no number\. This browser's device key is bound to \+1\*{6}0151.*No code and no text message were needed/s);
      assert.equal(await textOf(page.locator('#outcome-facts dd').first()), '+1******0151', 'the page shows the number recognised');
      assert.equal(await page.getByLabel('Phone number', { exact: true }).inputValue(), '', 'nothing was typed');
      assert.equal(await textsTo('+12025550151'), 0, 'Handset sent no text');
      assert.equal(await demoInboxSize(page), demoCodes, 'the demo sent no code');
      await screenshot(page, 'returning-recognised');
    });
  });
});
