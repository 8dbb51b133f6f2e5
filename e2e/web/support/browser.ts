/**
 * @module e2e/web/support/browser
 * Real Chromium (Debian's /usr/bin/chromium through playwright-core) for the browser tests:
 * launch flags, a mobile user agent, the page helpers the tests share, and failure artifacts
 * (a screenshot and the page console per page, under e2e/artifacts/, git-ignored).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type LaunchOptions, type Page } from 'playwright-core';
import { chromiumLaunchOptions, chromiumSkipReason as sharedSkipReason } from '../../support/chromium.ts';

/** The user agents the tests play (shared with the demo's browser test). */
export { PHONE_USER_AGENT as MOBILE_USER_AGENT, COMPUTER_USER_AGENT as DESKTOP_USER_AGENT } from '../../support/chromium.ts';

/** Bound on every single wait in the browser tests. */
export const WAIT_MS = 30_000;

const artifactsRoot = join(dirname(fileURLToPath(import.meta.url)), '../../artifacts');

/** Why the browser suites cannot run here, or undefined (never a skip under `CI`). */
export function chromiumSkipReason(): string | undefined {
  return sharedSkipReason('browser tests');
}

const launchOptions: LaunchOptions = chromiumLaunchOptions(WAIT_MS);

export function launchBrowser(): Promise<Browser> {
  return chromium.launch(launchOptions);
}

/** A browser profile on disk, as a restartable browser: same directory → same IndexedDB. */
export function launchProfile(userDataDir: string, userAgent: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, { ...launchOptions, userAgent });
}

/** Collects the console of the pages it tracks and saves artifacts when a test fails. */
export class Artifacts {
  private readonly pages: Array<{ label: string; page: Page; lines: string[] }> = [];

  track(page: Page, label: string): Page {
    const lines: string[] = [];
    page.on('console', (message) => lines.push(`[${message.type()}] ${message.text()}`));
    page.on('pageerror', (error) => lines.push(`[pageerror] ${error.message}`));
    page.on('requestfailed', (request) => lines.push(`[requestfailed] ${request.method()} ${request.url().split('?')[0]} ${request.failure()?.errorText ?? ''}`));
    this.pages.push({ label, page, lines });
    return page;
  }

  async save(testName: string): Promise<void> {
    const dir = join(artifactsRoot, testName.replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, 80));
    mkdirSync(dir, { recursive: true });
    for (const { label, page, lines } of this.pages) {
      writeFileSync(join(dir, `${label}.console.log`), `${lines.join('\n')}\n`);
      if (!page.isClosed()) await page.screenshot({ path: join(dir, `${label}.png`), fullPage: true, timeout: 5_000 }).catch(() => undefined);
    }
    console.log(`# artifacts saved to ${dir}`);
  }
}

/** Runs `body` and saves the tracked pages' artifacts if it throws. */
export async function withArtifacts(testName: string, body: (artifacts: Artifacts) => Promise<void>): Promise<void> {
  const artifacts = new Artifacts();
  try {
    await body(artifacts);
  } catch (error) {
    await artifacts.save(testName);
    throw error;
  }
}

/** Opens an app page in `context` and waits until the SDK is loaded. */
export async function openApp(context: BrowserContext, artifacts: Artifacts, url: string, label: string): Promise<Page> {
  const page = artifacts.track(await context.newPage(), label);
  await page.goto(url, { timeout: WAIT_MS });
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, undefined, { timeout: WAIT_MS });
  return page;
}

/** The state `startFlow` leaves in the page. */
export interface FlowState {
  state: 'idle' | 'running' | 'resolved' | 'rejected';
  name?: string;
  code?: number;
  message?: string;
}

/** Waits until the page's flow has settled and returns how. */
export async function flowResult(page: Page): Promise<FlowState> {
  await page.waitForFunction(() => (window as unknown as { flow: FlowState }).flow.state !== 'running', undefined, { timeout: WAIT_MS });
  return page.evaluate(() => (window as unknown as { flow: FlowState }).flow);
}

/** A `/v1/client/*` call the page made; `reply` settles with the parsed reply body (or undefined). */
export interface ClientCall {
  path: string;
  requestBody: unknown;
  status: number;
  reply: Promise<any>;
  headers: Record<string, string>;
}

/** Records every `/v1/client/*` POST the page makes to `platformUrl`, in response order. */
export function recordClientCalls(page: Page, platformUrl: string): ClientCall[] {
  const calls: ClientCall[] = [];
  page.on('response', (response) => {
    const request = response.request();
    if (request.method() !== 'POST' || !request.url().startsWith(`${platformUrl}/v1/client/`)) return;
    calls.push({
      path: new URL(request.url()).pathname,
      requestBody: JSON.parse(request.postData() ?? 'null'),
      status: response.status(),
      reply: response.json().catch(() => undefined),
      headers: request.headers(),
    });
  });
  return calls;
}

/** Bounds a promise (typically a `page.evaluate` of async page code, which has no timeout of its own). */
export async function within<T>(work: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
