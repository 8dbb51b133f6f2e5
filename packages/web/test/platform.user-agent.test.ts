/**
 * @module platform.user-agent.test
 * isMobileWeb() follows Prove's regex exactly, and deviceName() reads "<Browser> <major.minor> on <OS>".
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectMobileWeb, deviceName } from '../src/platform.ts';

const UA = {
  pixel: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.43 Mobile Safari/537.36',
  androidTablet: 'Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36',
  iphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
  ipadDesktop: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
  macChrome: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  windowsEdge: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.61',
  linuxFirefox: 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
  operaMini: 'Opera/9.80 (J2ME/MIDP; Opera Mini/9.80 (S60; SymbOS; Opera Mobi/23.348; U; en) Presto/2.5.25 Version/10.54',
};

test('mobile user agents are mobile web, including Android tablets', () => {
  for (const ua of [UA.pixel, UA.androidTablet, UA.iphone, UA.operaMini, 'x webos y', 'BlackBerry9700', 'iPad']) {
    assert.equal(detectMobileWeb(ua), true, ua);
  }
});

test('desktop user agents, iPadOS in desktop mode and a missing UA are not', () => {
  for (const ua of [UA.ipadDesktop, UA.macChrome, UA.windowsEdge, UA.linuxFirefox, '', undefined]) {
    assert.equal(detectMobileWeb(ua ?? undefined), false, String(ua));
  }
});

test('device names name the browser, its major.minor version and the OS', () => {
  assert.equal(deviceName(UA.macChrome), 'Chrome 120.0 on Mac OS 10.15.7');
  assert.equal(deviceName(UA.pixel), 'Chrome 120.0 on Android 14');
  assert.equal(deviceName(UA.iphone), 'Safari 17.1 on iOS 17.1.2');
  assert.equal(deviceName(UA.windowsEdge), 'Edge 120.0 on Windows 10.0');
  assert.equal(deviceName(UA.linuxFirefox), 'Firefox 121.0 on Linux');
  assert.equal(deviceName('curl/8'), 'Unknown browser on Unknown OS');
});
