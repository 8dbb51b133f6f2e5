/**
 * `handset admins create | list | disable` as an operator runs them: the secret is printed once,
 * never listed, and stops working once the admin is disabled.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { verifyAdminSecret } from '../../src/admin/admins-repo.js';
import { openDatabase } from '../../src/store/database.js';

const bin = fileURLToPath(new URL('../../bin/handset.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'handset-admins-cli-'));
const database = join(dir, 'handset.db');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, HANDSET_LOG_LEVEL: 'silent' } });

async function secretWorks(adminId: string, secret: string): Promise<boolean> {
  const db = openDatabase(database);
  try {
    return (await verifyAdminSecret(db.kysely, adminId, secret)) !== null;
  } finally {
    await db.close();
  }
}

describe('handset admins', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--help lists create, list and disable', () => {
    const result = run('admins', '--help');
    assert.equal(result.status, 0, result.stderr);
    for (const command of ['create', 'list', 'disable']) assert.match(result.stdout, new RegExp(command));
    assert.match(run('--help').stdout, /admins/);
  });

  it('create prints the id and the secret once; list never shows the secret; disable ends it', async () => {
    const human = run('admins', 'create', '--name', 'alice', '--database', database);
    assert.equal(human.status, 0, human.stderr);
    const adminId = /admin id:\s+(hsa_\S+)/.exec(human.stdout)?.[1];
    const secret = /admin secret:\s+(hsas_\S+)/.exec(human.stdout)?.[1];
    assert.ok(adminId && secret, human.stdout);
    assert.match(human.stdout, /not shown again/);
    assert.equal(await secretWorks(adminId, secret), true);

    const json = run('admins', 'create', '--name', 'bob', '--json', '--database', database);
    const lines = json.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const bob = JSON.parse(lines[0]!) as Record<string, string>;
    assert.deepEqual(Object.keys(bob).sort(), ['adminId', 'secret']);

    const list = run('admins', 'list', '--database', database);
    assert.match(list.stdout, new RegExp(`${adminId}  alice`));
    assert.ok(!list.stdout.includes(secret) && !list.stdout.includes(bob.secret!));
    const listed = JSON.parse(run('admins', 'list', '--json', '--database', database).stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(listed.map((a) => a.name), ['alice', 'bob']);
    assert.ok(listed.every((a) => a.disabledAt === null));

    const disabled = run('admins', 'disable', adminId, '--database', database);
    assert.equal(disabled.status, 0, disabled.stderr);
    assert.match(disabled.stdout, /is disabled/);
    assert.equal(await secretWorks(adminId, secret), false);
    assert.equal(await secretWorks(bob.adminId!, bob.secret!), true, 'the other admin is untouched');
    assert.match(run('admins', 'list', '--database', database).stdout, /disabled 20/);
  });

  it('disable of an unknown admin and create without --name fail with a message', () => {
    const unknown = run('admins', 'disable', 'hsa_nobody', '--database', database);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /no admin hsa_nobody/);
    const noName = run('admins', 'create', '--database', database);
    assert.notEqual(noName.status, 0);
    assert.match(noName.stderr, /--name/);
    const blank = run('admins', 'create', '--name', ' ', '--database', database);
    assert.equal(blank.status, 1);
    assert.match(blank.stderr, /1 to 100 characters/);
  });
});
