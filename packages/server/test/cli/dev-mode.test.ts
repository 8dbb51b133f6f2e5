/**
 * `handset serve` outside development mode (issue 11 §7): with no SMS provider it refuses to
 * start and says what to do; with one it starts without the development outbox page and without
 * the sandbox carrier; `HANDSET_DEV=1` (or `--dev`) brings both back.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startInstance } from '../support/instances.js';

const bin = fileURLToPath(new URL('../../bin/handset.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'handset-dev-mode-'));

/** A Twilio configuration that is never used to send: nothing in these tests texts anyone. */
const TWILIO = {
  HANDSET_SMS_PROVIDERS: 'twilio',
  HANDSET_TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
  HANDSET_TWILIO_AUTH_TOKEN: 'test-auth-token-never-used',
  HANDSET_TWILIO_FROM: '+12025550000',
  HANDSET_TWILIO_BASE_URL: 'http://127.0.0.1:9',
};

describe('handset serve outside development mode', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('with no SMS provider, refuses to start and says how to fix it (NODE_ENV unset changes nothing)', () => {
    const env: Record<string, string> = { ...process.env, HANDSET_LOG_LEVEL: 'silent' } as Record<string, string>;
    for (const name of ['NODE_ENV', 'HANDSET_DEV', 'HANDSET_SANDBOX', 'HANDSET_SMS_PROVIDERS']) delete env[name];
    const result = spawnSync(process.execPath, [bin, 'serve', '--port', '0', '--database', join(dir, 'refused.db')], { encoding: 'utf8', env, timeout: 60_000 });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /configuration error: no SMS provider is configured.*HANDSET_SMS_PROVIDERS.*--dev or HANDSET_DEV=1.*--sandbox/);
  });

  it('with an SMS provider, starts without the outbox page or the sandbox carrier', async () => {
    const instance = await startInstance(join(dir, 'provider.db'), { ...TWILIO, HANDSET_DEV: '0' });
    try {
      for (const path of ['/dev/outbox', '/v1/sandbox/carrier/some-token']) {
        const response = await fetch(`${instance.url}${path}`);
        assert.equal(response.status, 404, path);
        assert.equal(((await response.json()) as { code: number }).code, 8011, path);
      }
      assert.equal((await fetch(`${instance.url}/readyz`)).status, 200);
    } finally {
      await instance.stop();
    }
  });

  it('HANDSET_DEV=1 brings the outbox page and the sandbox carrier back', async () => {
    const instance = await startInstance(join(dir, 'dev.db'), { HANDSET_DEV: '1' });
    try {
      assert.equal((await fetch(`${instance.url}/dev/outbox`)).status, 200);
      const carrier = await fetch(`${instance.url}/v1/sandbox/carrier/some-token`);
      assert.equal(carrier.status, 404, 'an unknown session');
      assert.match(((await carrier.json()) as { message: string }).message, /carrier does not recognise/, 'answered by the carrier itself');
    } finally {
      await instance.stop();
    }
  });
});
