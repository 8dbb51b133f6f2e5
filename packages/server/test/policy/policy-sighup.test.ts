/**
 * `handset serve` reloads the fraud policy on SIGHUP: a valid file replaces it (logged), an
 * invalid one is refused with its errors logged and the previous policy stays; an invalid file at
 * start refuses the start naming the field.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/testing.js';

const bin = fileURLToPath(new URL('../../bin/handset.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'handset-sighup-'));
const rule = (id: string) => ({ id, when: { signal: 'line_type', op: '==', value: 'premium_rate' }, action: 'deny_send', reason: 9802 });

async function until(condition: () => boolean | Promise<boolean>, what: string, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('policy reload on SIGHUP', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('an invalid file at start refuses the start, naming the field', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ version: 1, rules: [{ ...rule('a'), action: 'block' }] }));
    const result = spawnSync(process.execPath, [bin, 'serve', '--dev', '--port', '0', '--database', ':memory:'], {
      encoding: 'utf8',
      env: { ...process.env, HANDSET_POLICY_FILE: file, HANDSET_LOG_LEVEL: 'silent' },
      timeout: 60_000,
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /configuration error: HANDSET_POLICY_FILE .*rules\[0\]\.action/);
  });

  it('takes a valid file, keeps the old policy when the new one is invalid', async () => {
    const file = join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify({ version: 1, rules: [rule('first')] }));
    const port = await freePort();
    const child = spawn(process.execPath, [bin, 'serve', '--dev', '--port', String(port), '--database', ':memory:'], {
      env: { ...process.env, HANDSET_HOST: '127.0.0.1', HANDSET_LOG_LEVEL: 'info', HANDSET_POLICY_FILE: file },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    try {
      await until(() => fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false), 'the server', () => output);
      writeFileSync(file, '{ "version": 1, "rules": [,] }');
      child.kill('SIGHUP');
      await until(() => output.includes('policy reload refused'), 'the refusal', () => output);
      assert.match(output, /not valid JSON at line 1, column 27/);
      writeFileSync(file, JSON.stringify({ version: 1, rules: [rule('second'), rule('third')] }));
      child.kill('SIGHUP');
      await until(() => output.includes('policy reloaded'), 'the reload', () => output);
      assert.match(output, /"rules":2/);
      assert.equal(child.exitCode, null, 'the server is still running');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
