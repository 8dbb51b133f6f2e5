/**
 * @module mobile-auth.vfp.test
 * The pure parts of Mobile Auth: vfp precedence in a fetch reply, the http/https rule, and the
 * URL dispatch that needs no network (testVfp, unsupported carrier flows, malformed URLs).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractVfp, isAllowedCarrierUrl, MobileAuthError, runMobileAuth } from '../src/mobile-auth.ts';

test('vfp is taken by the documented precedence', () => {
  assert.equal(extractVfp({ vfp: 'V', token: 'T', correlation_id: 'C' }), 'V');
  assert.equal(extractVfp({ token: 'T', correlation_id: 'C' }), 'C...T');
  assert.equal(extractVfp({ token: 'T' }), 'T');
  assert.equal(extractVfp({ correlation_id: 'C', reconcilation_token: 'R' }), 'C...R');
  assert.equal(extractVfp({ reconcilation_token: 'R' }), 'R');
});

test('replies without a recognised field have no vfp', () => {
  for (const body of [{}, { vfp: '' }, { correlation_id: 'C' }, { vfp: 5 }, null, 'vfp', undefined]) {
    assert.equal(extractVfp(body), undefined, JSON.stringify(body));
  }
});

test('https carrier URLs are always allowed; http only from an http page', () => {
  assert.equal(isAllowedCarrierUrl(new URL('https://c.example/x'), 'https:'), true);
  assert.equal(isAllowedCarrierUrl(new URL('https://c.example/x'), 'http:'), true);
  assert.equal(isAllowedCarrierUrl(new URL('http://c.example/x'), 'http:'), true);
  assert.equal(isAllowedCarrierUrl(new URL('http://c.example/x'), 'https:'), false);
  assert.equal(isAllowedCarrierUrl(new URL('http://c.example/x'), undefined), false);
  assert.equal(isAllowedCarrierUrl(new URL('ftp://c.example/x'), 'http:'), false);
});

test('testVfp answers without network, for either implementation', async () => {
  assert.equal(await runMobileAuth('http://127.0.0.1:1/ma?testVfp=abc&delay=1', 'fetch'), 'abc');
  assert.equal(await runMobileAuth('https://c.example/ma?testVfp=xyz', 'pixel'), 'xyz');
});

test('a cancelled testVfp delay rejects and clears its timer', async () => {
  const controller = new AbortController();
  const running = runMobileAuth('https://c.example/ma?testVfp=abc&delay=600000', 'fetch', controller.signal);
  controller.abort();
  await assert.rejects(running, { name: 'AbortError' });
});

test('relative URLs, carrier flows v2/v3 and http from a non-http page are refused with named codes', async () => {
  const cases: Array<[string, string]> = [
    ['/relative/path', 'AUTH_MALFORMED_INPUT_DATA'],
    ['https://c.example/ma?pfflow=2&data=x', 'GENERIC_INVALID_STATE'],
    ['https://c.example/ma?pfflow=3', 'GENERIC_INVALID_STATE'],
    ['https://c.example/Authentication/Validate/FlowControl?x=1', 'GENERIC_INVALID_STATE'],
    ['http://c.example/ma', 'GENERIC_COMMUNICATION_ERROR'],
  ];
  for (const [url, name] of cases) {
    await assert.rejects(runMobileAuth(url, 'fetch'), (error: unknown) => {
      assert.ok(error instanceof MobileAuthError);
      assert.equal(error.errorName, name, url);
      return true;
    });
  }
});
