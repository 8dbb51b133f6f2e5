/**
 * The `handset` command as a user runs it: help, migrate, clients create/list, and serve with
 * flags and HANDSET_* variables.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/testing.js';
import { Backend } from '../support/server-api.js';

const bin = fileURLToPath(new URL('../../bin/handset.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'handset-cli-'));
const database = join(dir, 'handset.db');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, HANDSET_LOG_LEVEL: 'silent' } });

describe('handset CLI', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--help lists the commands', () => {
    const result = run('--help');
    assert.equal(result.status, 0);
    for (const command of ['serve', 'migrate', 'clients']) assert.match(result.stdout, new RegExp(command));
    assert.match(run('serve', '--help').stdout, /--public-url/);
  });

  it('--version prints the version of @handset/server', () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const result = run(flag);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout.trim(), version);
    }
  });

  it('migrate creates the schema, then reports it is up to date', () => {
    assert.match(run('migrate', '--database', database).stdout, /applied: /);
    assert.match(run('migrate', '--database', database).stdout, /up to date/);
  });

  it('clients create --json prints exactly one JSON object; list never shows secrets', () => {
    const created = run('clients', 'create', '--name', 'shop', '--json', '--database', database);
    assert.equal(created.status, 0, created.stderr);
    const lines = created.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const parsed = JSON.parse(lines[0]!) as Record<string, string>;
    assert.deepEqual(Object.keys(parsed).sort(), ['clientId', 'clientSecret']);
    const human = run('clients', 'create', '--name', 'other', '--database', database);
    assert.match(human.stdout, /not shown again/);
    const list = run('clients', 'list', '--database', database);
    assert.match(list.stdout, new RegExp(parsed.clientId!));
    assert.ok(!list.stdout.includes(parsed.clientSecret!));
    const listJson = JSON.parse(run('clients', 'list', '--json', '--database', database).stdout) as unknown[];
    assert.equal(listJson.length, 2);
  });

  it('clients create without --name fails with a message', () => {
    const result = run('clients', 'create', '--database', database);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /--name/);
  });

  it('a bad configuration is reported, not thrown', () => {
    const result = run('serve', '--public-url', 'https://x.example/path', '--database', database);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /bare origin/);
  });

  it('serve listens with flags and env, warns about dev defaults, and serves a client created by the CLI', async () => {
    const created = JSON.parse(run('clients', 'create', '--name', 'serve-test', '--json', '--database', database).stdout) as {
      clientId: string;
      clientSecret: string;
    };
    const port = await freePort();
    const child = spawn(process.execPath, [bin, 'serve', '--dev', '--port', String(port), '--database', database], {
      env: { ...process.env, HANDSET_HOST: '127.0.0.1', HANDSET_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    try {
      const url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 20_000;
      while (!(await fetch(`${url}/readyz`).then((r) => r.ok, () => false))) {
        if (Date.now() > deadline) throw new Error(`server did not start: ${output}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.match(output, /INSECURE DEFAULT: the authToken signing key was generated/);
      assert.match(output, /INSECURE DEFAULT: SMS messages go to the development outbox/);
      const backend = new Backend(url, created.clientId, created.clientSecret);
      const started = await backend.unify({ possessionType: 'none', phoneNumber: '+12025550171' });
      assert.equal(started.success, 'pending');
      const payload = JSON.parse(Buffer.from(started.authToken!.split('.')[1]!, 'base64').toString());
      assert.equal(payload.auth.endp, url, 'endp defaults to the listening origin');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
