/**
 * @module test/support/browser
 * Real Chromium (Debian's /usr/bin/chromium through playwright-core) for the demo's acceptance
 * test: launch flags, phone and computer user agents, the skip rule (never on CI), and the
 * screenshots of each end state under e2e/artifacts/demo/ (git-ignored).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot } from './environment.ts';

export const CHROMIUM_PATH = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A phone's user agent: `isMobileWeb()` is true. */
export const PHONE_USER_AGENT =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36';

/** A computer's user agent: `isMobileWeb()` is false. */
export const COMPUTER_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

/** Bound on every single wait. */
export const WAIT_MS = 20_000;

export const ARTIFACTS_DIR = join(repoRoot, 'e2e/artifacts/demo');

/** Why the browser test cannot run here, or undefined. With `CI` set a missing Chromium throws. */
export function chromiumSkipReason(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  const reason = `Chromium not found at ${CHROMIUM_PATH}`;
  if (process.env.CI) throw new Error(`${reason}; the demo's browser test cannot be skipped on CI`);
  console.log(`# skipping the demo's browser test: ${reason}`);
  return reason;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: WAIT_MS });
}

/** Saves a full-page screenshot of an end state as e2e/artifacts/demo/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true, timeout: WAIT_MS });
  return path;
}

/** Collects a page's console and errors, printed when a test fails. */
export function consoleOf(page: Page): string[] {
  const lines: string[] = [];
  page.on('console', (m) => lines.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => lines.push(`[pageerror] ${e.message}`));
  return lines;
}
