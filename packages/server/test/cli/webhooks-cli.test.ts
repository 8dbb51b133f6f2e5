/**
 * `handset webhooks add | list | rotate-secret | remove | redeliver` as an operator runs them: the
 * secret is printed once and never listed; a bad URL, an unknown event, an unknown client or
 * endpoint are refused with a message and exit code 1.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/handset.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'handset-webhooks-cli-'));
const database = join(dir, 'handset.db');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args, '--database', database], { encoding: 'utf8', env: { ...process.env, HANDSET_LOG_LEVEL: 'silent' } });

describe('handset webhooks', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('add prints the secret once; list never shows it; rotate-secret gives a new one; remove ends it', () => {
    const client = JSON.parse(run('clients', 'create', '--name', 'shop', '--json').stdout) as { clientId: string };
    const human = run('webhooks', 'add', '--client', client.clientId, '--url', 'https://hooks.example.com/handset');
    assert.equal(human.status, 0, human.stderr);
    const endpointId = /endpoint id:\s+(we_\S+)/.exec(human.stdout)?.[1];
    const secret = /secret:\s+(whsec_\S+)/.exec(human.stdout)?.[1];
    assert.ok(endpointId && secret, human.stdout);
    assert.ok(Buffer.from(secret.slice(6), 'base64').length >= 24, 'whsec_ + base64 of 24 random bytes');
    assert.match(human.stdout, /session\.succeeded, session\.failed/);

    const json = run('webhooks', 'add', '--client', client.clientId, '--url', 'http://127.0.0.1:9/x', '--events', 'device.bound,device.revoked', '--include-phone', '--json');
    assert.equal(json.status, 0, json.stderr);
    const second = JSON.parse(json.stdout) as { endpointId: string; secret: string; events: string[]; includePhone: boolean };
    assert.deepEqual(second.events, ['device.bound', 'device.revoked']);
    assert.equal(second.includePhone, true);

    const list = run('webhooks', 'list');
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`${endpointId}  ${client.clientId}  https://hooks.example.com/handset`));
    assert.match(list.stdout, /\(full number\)/);
    assert.ok(!list.stdout.includes(secret) && !list.stdout.includes(second.secret), 'secrets are never listed');
    const listed = JSON.parse(run('webhooks', 'list', '--json', '--client', client.clientId).stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(listed.map((e) => e.endpointId), [endpointId, second.endpointId]);
    assert.ok(listed.every((e) => !('secret' in e)));

    const rotated = run('webhooks', 'rotate-secret', endpointId, '--json');
    assert.equal(rotated.status, 0, rotated.stderr);
    const fresh = (JSON.parse(rotated.stdout) as { secret: string }).secret;
    assert.match(fresh, /^whsec_/);
    assert.notEqual(fresh, secret);

    const removed = run('webhooks', 'remove', endpointId);
    assert.equal(removed.status, 0, removed.stderr);
    const after = JSON.parse(run('webhooks', 'list', '--json').stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(after.map((e) => e.endpointId), [second.endpointId]);
  });

  it('refuses a bad URL, an unknown event, an unknown client, an unknown endpoint or delivery', () => {
    const client = JSON.parse(run('clients', 'create', '--name', 'other', '--json').stdout) as { clientId: string };
    const cases: Array<[string[], RegExp]> = [
      [['webhooks', 'add', '--client', client.clientId, '--url', 'not a url'], /not a URL/],
      [['webhooks', 'add', '--client', client.clientId, '--url', 'ftp://hooks.example.com/'], /http:\/\/ or https:\/\//],
      [['webhooks', 'add', '--client', client.clientId, '--url', 'https://user:pw@hooks.example.com/'], /credentials/],
      [['webhooks', 'add', '--client', client.clientId, '--url', 'https://hooks.example.com/', '--events', 'session.won'], /unknown event "session.won"/],
      [['webhooks', 'add', '--client', client.clientId, '--url', 'https://hooks.example.com/', '--events', ','], /names no event/],
      [['webhooks', 'add', '--client', 'no-such-client', '--url', 'https://hooks.example.com/'], /no client no-such-client/],
      [['webhooks', 'add', '--url', 'https://hooks.example.com/'], /--client/],
      [['webhooks', 'rotate-secret', 'we_nope'], /no webhook endpoint we_nope/],
      [['webhooks', 'remove', 'we_nope'], /no webhook endpoint we_nope/],
      [['webhooks', 'redeliver', 'msg_nope'], /no webhook delivery msg_nope/],
    ];
    for (const [args, message] of cases) {
      const result = run(...args);
      assert.equal(result.status, 1, `${args.join(' ')}: ${result.stdout}`);
      assert.match(result.stderr, message, args.join(' '));
    }
    const listed = JSON.parse(run('webhooks', 'list', '--json', '--client', client.clientId).stdout) as unknown[];
    assert.deepEqual(listed, [], 'nothing was added by a refused command');
  });
});
