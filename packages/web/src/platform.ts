/**
 * @module platform
 * Browser facts the protocol uses (`client-protocol.md` §8): the mobile-web test, the
 * `deviceName` ("<Browser> <major.minor> on <OS>") and `deviceCapabilities`.
 */

const MOBILE_USER_AGENT = /Mobi|Android|webOS|iPhone|iPad|BlackBerry|Opera Mini/i;

function userAgent(): string | undefined {
  return globalThis.navigator?.userAgent ?? undefined;
}

/** True iff the user agent matches Prove's mobile regex (no touch or screen-size checks). */
export function detectMobileWeb(ua: string | undefined = userAgent()): boolean {
  return ua != null && MOBILE_USER_AGENT.test(ua);
}

const BROWSERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/Edg(?:e|A|iOS)?\/(\d+(?:\.\d+)?)/, 'Edge'],
  [/OPR\/(\d+(?:\.\d+)?)/, 'Opera'],
  [/SamsungBrowser\/(\d+(?:\.\d+)?)/, 'Samsung Internet'],
  [/(?:Chrome|CriOS|Chromium)\/(\d+(?:\.\d+)?)/, 'Chrome'],
  [/(?:Firefox|FxiOS)\/(\d+(?:\.\d+)?)/, 'Firefox'],
  [/Version\/(\d+(?:\.\d+)?).*Safari/, 'Safari'],
];

const SYSTEMS: ReadonlyArray<readonly [RegExp, string]> = [
  [/Android ([\d.]+)/, 'Android'],
  [/(?:iPhone|iPad|iPod).*? OS ([\d_]+)/, 'iOS'],
  [/Mac OS X ([\d_.]+)/, 'Mac OS'],
  [/Windows NT ([\d.]+)/, 'Windows'],
  [/CrOS/, 'Chrome OS'],
  [/Linux/, 'Linux'],
];

function match(ua: string, table: ReadonlyArray<readonly [RegExp, string]>): string | undefined {
  for (const [pattern, name] of table) {
    const found = pattern.exec(ua);
    if (found) return found[1] ? `${name} ${found[1].replace(/_/g, '.')}` : name;
  }
  return undefined;
}

/** The `deviceName` sent at registration, e.g. "Chrome 120.0 on Mac OS 10.15.7". */
export function deviceName(ua: string | undefined = userAgent()): string {
  if (!ua) return 'Unknown browser';
  return `${match(ua, BROWSERS) ?? 'Unknown browser'} on ${match(ua, SYSTEMS) ?? 'Unknown OS'}`;
}

/** `["webauthn"]` when the browser has WebAuthn, else `[]`. */
export function deviceCapabilities(): string[] {
  return 'PublicKeyCredential' in globalThis ? ['webauthn'] : [];
}
