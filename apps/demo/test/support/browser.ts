/**
 * @module test/support/browser
 * Real Chromium (Debian's /usr/bin/chromium through playwright-core) for the demo's acceptance
 * test: launch flags, phone and computer user agents, the skip rule (never on CI), and the
 * screenshots of each end state under e2e/artifacts/demo/ (git-ignored).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumLaunchOptions, chromiumSkipReason as sharedSkipReason } from '../../../../e2e/support/chromium.ts';
import { repoRoot } from './environment.ts';

export { COMPUTER_USER_AGENT, PHONE_USER_AGENT } from '../../../../e2e/support/chromium.ts';

/** Bound on every single wait. */
export const WAIT_MS = 20_000;

export const ARTIFACTS_DIR = join(repoRoot, 'e2e/artifacts/demo');

/** Why the browser test cannot run here, or undefined (never a skip under `CI`). */
export function chromiumSkipReason(): string | undefined {
  return sharedSkipReason("the demo's browser test");
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch(chromiumLaunchOptions(WAIT_MS));
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
