/**
 * @module e2e/admin/support
 * The operator console in real Chromium: admins made with the real CLI (`handset admins create`
 * on the test server's SQLite file), sign-in through the form, a watch on CSP violations, axe-core
 * run in the page, and screenshots kept under e2e/artifacts/admin/ (git-ignored) to look at.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { WAIT_MS } from '../web/support/browser.ts';

const here = dirname(fileURLToPath(import.meta.url));
const handsetBin = join(here, '../../packages/server/bin/handset.mjs');
export const SCREENSHOTS = join(here, '../artifacts/admin');

export interface AdminCredentials {
  adminId: string;
  secret: string;
}

/** Runs the `handset` CLI against a database and returns its standard output. */
export async function handsetCli(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [handsetBin, ...args], { timeout: 120_000, env: { ...process.env, HANDSET_LOG_LEVEL: 'silent' } });
  return stdout;
}

/** `handset admins create --name NAME --json`, as an operator would on the platform host. */
export async function createAdminWithCli(database: string, name: string): Promise<AdminCredentials> {
  const created = JSON.parse(await handsetCli(['admins', 'create', '--name', name, '--json', '--database', database])) as AdminCredentials;
  assert.match(created.adminId, /^hsa_/);
  assert.match(created.secret, /^hsas_/);
  return created;
}

/** Signs in through the form: labels, typing, the button. Resolves on the page it lands on. */
export async function signIn(page: Page, platformUrl: string, admin: AdminCredentials, path = '/admin'): Promise<void> {
  await page.goto(`${platformUrl}${path}`, { timeout: WAIT_MS });
  await page.waitForURL(/\/admin\/sign-in\?next=/, { timeout: WAIT_MS });
  await page.getByLabel('Admin id').fill(admin.adminId);
  await page.getByLabel('Secret').fill(admin.secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === path, { timeout: WAIT_MS });
}

/** What a page broke of the CSP: `securitypolicyviolation` events and console reports. */
export interface CspWatch {
  violations(): Promise<string[]>;
}

/**
 * Records every CSP violation of `page` from now on: the init script (added by the browser
 * driver, so the CSP does not apply to it) listens for `securitypolicyviolation`, and the console
 * is read for the browser's own reports.
 */
export async function watchCsp(page: Page): Promise<CspWatch> {
  const reported: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) reported.push(message.text());
  });
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (event) => seen.push(`${event.violatedDirective} ${event.blockedURI}`));
  });
  return {
    async violations() {
      const inPage = await page.evaluate(() => (window as unknown as { cspViolations?: string[] }).cspViolations ?? []);
      return [...reported, ...inPage];
    },
  };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** One axe-core violation, as a line a person can act on. */
function describeViolation(v: { id: string; impact?: string | null; help: string; nodes: Array<{ target: unknown }> }): string {
  return `${v.id} (${v.impact ?? 'n/a'}): ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`;
}

/**
 * Runs axe-core (WCAG 2.x A and AA rules and best practices) on the page as it is and returns its
 * violations. axe is evaluated by the driver, outside the page's CSP.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
  if (!loaded) await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: any[] }> } }).axe;
    const { violations, passes } = (await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
    })) as { violations: any[]; passes: unknown[] };
    return {
      passed: passes.length,
      violations: violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n: { target: unknown }) => ({ target: n.target })) })),
    };
  });
  // A run that checked nothing would find nothing: make sure the rules ran.
  assert.ok(result.passed >= 10, `axe-core ran (${result.passed} rules passed)`);
  return result.violations.map(describeViolation);
}

/** Saves a full-page screenshot under e2e/artifacts/admin/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true, timeout: WAIT_MS });
  return path;
}
