/**
 * @module bundle.size.test
 * The `<script>` build stays within 15 KB minified + gzip, sets `window.HandsetWeb` with the
 * public names at its top level, and bundles no TypeBox (zero runtime dependencies).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

test('the IIFE build is within budget, exposes HandsetWeb and contains no TypeBox', (t) => {
  const out = mkdtempSync(join(tmpdir(), 'handset-web-size-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--no-types', '--out-dir', out], { stdio: 'pipe', timeout: 60_000 });
  const script = readFileSync(join(out, 'handset-web.min.js'));
  assert.ok(gzipSync(script, { level: 9 }).length <= 15 * 1024);
  const esm = readFileSync(join(out, 'handset-web.mjs'), 'utf8');
  assert.ok(!/typebox/i.test(esm));
  const sandbox: Record<string, unknown> = {};
  sandbox.window = sandbox;
  runInNewContext(script.toString('utf8'), sandbox);
  const api = sandbox.HandsetWeb as Record<string, unknown>;
  for (const name of ['AuthenticatorBuilder', 'Authenticator', 'AuthError', 'OtpError', 'PhoneValidationError', 'ErrorCode', 'OtpFinishResultType', 'OtpFinishResult', 'InstantLinkResultType']) {
    assert.ok(api[name], name);
  }
  assert.deepEqual(JSON.parse(JSON.stringify(api.OtpFinishResultType)), { OnSuccess: 0, OnResendOtp: 1, OnMobileNumberChange: 2 });
  assert.deepEqual(JSON.parse(JSON.stringify(api.InstantLinkResultType)), { OnResend: 0, OnMobileNumberChange: 1 });
});
