/**
 * @module e2e/web/device-lifecycle.test
 * The Prove Key's life in real Chromium: `unregisterDevice()` wipes it and the server refuses it
 * afterwards; a key bound to one number reports 9101 for another, and both fixes (unify-bind, and
 * `rebind: true`) work from the browser; a browser that cannot store a key degrades to possession.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import {
  chromiumSkipReason,
  flowResult,
  MOBILE_USER_AGENT,
  openApp,
  recordClientCalls,
  within,
  withArtifacts,
} from './support/browser.ts';
import { startEnvironment, type Environment } from './support/fixture.ts';
import { smsCount } from './support/outbox.ts';

const UNREGISTER_NUMBER = '+12001004016';
const BOUND_NUMBER = '+12001004041';
const OTHER_NUMBER = '+12001004014';
const NO_STORAGE_NUMBER = '+12001004015';
const skip = chromiumSkipReason();

/** Page side: copy of the Prove Key record and settings, kept in memory (CryptoKeys clone fine). */
function saveKey(): Promise<void> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('ProveAuth');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const get = db.transaction('Registrations').objectStore('Registrations').getAll();
      get.onsuccess = () => {
        db.close();
        (window as any).savedKey = {
          records: get.result,
          deviceId: localStorage.getItem('ProveAuth.DeviceId'),
          namespace: localStorage.getItem('ProveAuth.namespace'),
        };
        resolve();
      };
    };
  });
}

/** Page side: puts the saved record and settings back, as if nothing had been wiped. */
function restoreKey(): Promise<void> {
  const saved = (window as any).savedKey;
  localStorage.setItem('ProveAuth.DeviceId', saved.deviceId);
  localStorage.setItem('ProveAuth.namespace', saved.namespace);
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('ProveAuth', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('Registrations', { keyPath: 'namespace' });
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction('Registrations', 'readwrite');
      for (const record of saved.records) tx.objectStore('Registrations').put(record);
      tx.oncomplete = () => {
        db.close();
        resolve();
      };
      tx.onerror = () => reject(tx.error);
    };
  });
}

describe('Prove Key lifecycle', { skip }, () => {
  let env: Environment;
  const contexts: BrowserContext[] = [];

  before(async () => {
    env = await startEnvironment({ mobileAuthNumbers: [UNREGISTER_NUMBER, BOUND_NUMBER, OTHER_NUMBER, NO_STORAGE_NUMBER] });
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await env?.close();
  });

  async function phone(label: string, artifacts: Parameters<typeof openApp>[1], init?: () => void): Promise<Page> {
    const context = await env.browser!.newContext({ userAgent: MOBILE_USER_AGENT });
    contexts.push(context);
    if (init) await context.addInitScript(init);
    return openApp(context, artifacts, `${env.app.url}/app.html`, label);
  }

  async function run(page: Page, body: Record<string, unknown>): Promise<{ authId: string; success: string; deviceId?: string; evaluation?: any }> {
    await page.evaluate((start) => (window as any).startFlow(start), body);
    assert.deepEqual(await flowResult(page), { state: 'resolved' });
    const session = env.app.last();
    const status = session.statuses.at(-1)!;
    return { authId: session.authId, success: status.success, deviceId: status.deviceId, evaluation: status.evaluation };
  }

  test('unregisterDevice() wipes the key and the server no longer accepts it', { timeout: 120_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      const page = await phone('phone', artifacts);
      const registered = await run(page, { possessionType: 'mobile', phoneNumber: UNREGISTER_NUMBER });
      assert.equal(registered.success, 'true');
      await within(page.evaluate(saveKey), 'saving the key');

      const calls = recordClientCalls(page, env.server.url);
      assert.equal(await within(page.evaluate(() => (window as any).device.unregister()), 'unregisterDevice'), 'ok');
      assert.deepEqual(calls.map((c) => c.path), ['/v1/client/challenge', '/v1/client/device/unregister']);
      assert.deepEqual(calls[0]!.requestBody, { deviceId: registered.deviceId });
      assert.deepEqual(calls[1]!.requestBody, { deviceId: registered.deviceId });
      for (const call of calls) assert.equal(call.headers.authorization, undefined, 'no Bearer outside authenticate()');
      assert.equal(calls[1]!.headers['pa-sig-version'], '3');
      assert.equal(calls[1]!.headers['pa-challenge'], (await calls[0]!.reply).challenge);

      // Local wipe: settings, the database, and the public accessors agree.
      const local = await within(
        page.evaluate(async () => ({
          deviceId: localStorage.getItem('ProveAuth.DeviceId'),
          namespace: localStorage.getItem('ProveAuth.namespace'),
          databases: (await indexedDB.databases()).map((d) => d.name),
          registered: await (window as any).device.isRegistered(),
          sdkDeviceId: await (window as any).device.deviceId(),
        })),
        'reading local state',
      );
      assert.deepEqual(local, { deviceId: null, namespace: null, databases: [], registered: false, sdkDeviceId: null });

      // Unregistering the old key again (restored by hand) is idempotent on the server: it answers
      // `{"next":""}` for an already-revoked key, and the browser wipes its copy again.
      await within(page.evaluate(restoreKey), 'restoring the key');
      assert.equal(await within(page.evaluate(() => (window as any).device.unregister()), 'second unregisterDevice'), 'ok');
      assert.equal(await within(page.evaluate(() => (window as any).device.isRegistered()), 'isDeviceRegistered'), false);

      // Authenticating with the old key: the server answers verify with 10006, the SDK wipes it and
      // continues with possession at the server's `next`.
      await within(page.evaluate(restoreKey), 'restoring the key');
      const verifyCalls = recordClientCalls(page, env.server.url);
      const after = await run(page, { possessionType: 'mobile', phoneNumber: UNREGISTER_NUMBER });
      assert.equal(after.success, 'true');
      const verify = verifyCalls.find((c) => c.path === '/v1/client/device/passive/verify');
      assert.ok(verify, 'the old key was presented');
      const verifyReply = await verify.reply;
      assert.equal(verifyReply?.error?.code, 10006);
      assert.ok(verifyReply?.next);
      assert.notEqual(after.deviceId, registered.deviceId);
      assert.equal(await page.evaluate(() => localStorage.getItem('ProveAuth.DeviceId')), null);
      assert.equal(await within(page.evaluate(() => (window as any).device.isRegistered()), 'isDeviceRegistered'), false);
    });
  });

  test('a key bound to another number gives 9101; unify-bind and rebind both fix it', { timeout: 150_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      const page = await phone('phone', artifacts);
      const bound = await run(page, { possessionType: 'mobile', phoneNumber: BOUND_NUMBER });
      assert.equal(bound.success, 'true');

      // Customer-supplied possession with another number: the key is known but bound elsewhere.
      const mismatch = await run(page, { possessionType: 'none', phoneNumber: OTHER_NUMBER });
      assert.equal(mismatch.success, 'possession_required');
      assert.ok(mismatch.evaluation?.authentication?.failureReasons?.['9101'], JSON.stringify(mismatch.evaluation));
      // Fix 1: the integrator proved possession itself and binds.
      const rebound = await within(
        page.evaluate((authId) => fetch('/api/bind', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ authId, phoneNumber: '+12001004014' }) }).then((r) => r.json()), mismatch.authId),
        'unify-bind',
      );
      assert.equal(rebound.success, 'true');
      assert.equal(rebound.deviceId, bound.deviceId);

      // Now the first number mismatches; Fix 2: rebind through Prove-style possession from the browser.
      const second = await run(page, { possessionType: 'none', phoneNumber: BOUND_NUMBER });
      assert.equal(second.success, 'possession_required');
      assert.ok(second.evaluation?.authentication?.failureReasons?.['9101']);
      const rebind = await run(page, { possessionType: 'mobile', phoneNumber: BOUND_NUMBER, rebind: true });
      assert.equal(rebind.success, 'true');
      assert.equal(rebind.deviceId, bound.deviceId);

      // Afterwards the key passes for that number with no possession check and no SMS.
      const calls = recordClientCalls(page, env.server.url);
      const silent = await run(page, { possessionType: 'mobile', phoneNumber: BOUND_NUMBER });
      assert.equal(silent.success, 'true');
      assert.deepEqual(calls.map((c) => c.path), ['/v1/client/device/passive/verify']);
      assert.equal(await smsCount(env.server, BOUND_NUMBER), 0);
    });
  });

  test('without IndexedDB the SDK reports the key step and possession still succeeds', { timeout: 120_000 }, async (t) => {
    await withArtifacts(t.name, async (artifacts) => {
      const page = await phone('no-indexeddb', artifacts, () => {
        Object.defineProperty(window, 'indexedDB', { value: undefined, configurable: true });
      });
      const calls = recordClientCalls(page, env.server.url);
      const result = await run(page, { possessionType: 'mobile', phoneNumber: NO_STORAGE_NUMBER });
      assert.equal(result.success, 'true');
      const paths = calls.map((c) => c.path);
      assert.equal(paths[0], '/v1/client/device/passive/error');
      assert.match((calls[0]!.requestBody as any).message, /^Cannot keep a Prove Key in this browser/);
      assert.ok(!paths.includes('/v1/client/device/passive/register'));
      assert.ok(paths.includes('/v1/client/mobile/instant/finish'));
    });
  });
});
