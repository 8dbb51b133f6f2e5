/**
 * @module e2e/support/chromium
 * Real Chromium for every browser test of the repository (the web SDK's and the demo's):
 * Debian's /usr/bin/chromium driven by playwright-core, the flags this machine needs, the user
 * agents the tests play, and the one skip rule (skip with a reason here, never under `CI`).
 */
import { existsSync } from 'node:fs';
import type { LaunchOptions } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** No sandbox as root; no network chatter on a machine with no network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A phone's user agent: `isMobileWeb()` is true for it. */
export const PHONE_USER_AGENT =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36';

/** A computer's user agent: `isMobileWeb()` is false for it. */
export const COMPUTER_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

/** Launch options for headless Chromium, every launch bounded by `timeoutMs`. */
export function chromiumLaunchOptions(timeoutMs: number): LaunchOptions {
  return { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: timeoutMs };
}

/**
 * Why `suite` cannot run here, or undefined when it can. With `CI` set a missing Chromium is an
 * error, never a skip.
 */
export function chromiumSkipReason(suite: string): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  const reason = `Chromium not found at ${CHROMIUM_PATH}`;
  if (process.env.CI) throw new Error(`${reason}; ${suite} cannot be skipped on CI`);
  console.log(`# skipping ${suite}: ${reason}`);
  return reason;
}
