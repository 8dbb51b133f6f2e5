/**
 * `handset sessions show CORRELATION_ID` as an operator runs it, against the database a running
 * test server wrote (a SQLite file, or the pass's PostgreSQL schema): the session and its decision
 * timeline in order — the steps, every policy rule evaluated with its inputs, result, action and
 * mode (a premium-rate number denied, then an ordinary number let through), the message and its
 * delivery status — masked, without the code; `--json` is the admin API's answer; an unknown id
 * exits 1 with a message.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sessionTimeline } from '../../src/admin/admin-queries.js';
import { DEFAULT_POLICY } from '../../src/policy/default-policy.js';
import { startTestServer, testDatabaseUrl, type TestServer } from '../../src/testing.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend, latestMessage } from '../support/server-api.js';

const bin = fileURLToPath(new URL('../../bin/handset.mjs', import.meta.url));
const PREMIUM = '+19005550100';
const NUMBER = '+12025550177';

describe('handset sessions show', () => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-sessions-cli-'));
  let server: TestServer;
  let database: string;
  let correlationId: string;
  let code: string;
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [bin, ...args, '--database', database], { encoding: 'utf8', env: { ...process.env, HANDSET_LOG_LEVEL: 'silent' } });

  before(async () => {
    // The PostgreSQL pass gives the server a scratch schema; the SQLite pass a file the CLI can open too.
    server = await startTestServer(testDatabaseUrl() ? {} : { databaseUrl: join(dir, 'handset.db') });
    database = server.server.deps.config.databaseUrl;
    const started = await Backend.of(server).unify({ possessionType: 'mobile', phoneNumber: PREMIUM });
    correlationId = started.correlationId;
    const phone = new ProtocolClient(started.authToken!);
    await phone.reportError('device/passive', 'no storage');
    assert.equal(((await phone.otpStart()).body.data as { code?: number } | undefined)?.code, 2, 'the premium number is denied');
    assert.deepEqual((await phone.otpStart(NUMBER)).body, { next: 'mobile/otp' });
    code = (await latestMessage(server, NUMBER)).code!;
    assert.equal((await phone.otpFinish(code)).body.next, 'done');
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the session and every step, rule, message and status in order; masked, no code', () => {
    const shown = run('sessions', 'show', correlationId);
    assert.equal(shown.status, 0, shown.stderr);
    const out = shown.stdout;
    assert.match(out, new RegExp(`^session ${correlationId}$`, 'm'));
    assert.match(out, /state: +succeeded \(outcome succeeded\)/);
    assert.match(out, /number: +\+1\*{6}0177/);
    const lines = out.split('\n').filter((l) => /^ {2}\d{4}-/.test(l));
    const rules = DEFAULT_POLICY.rules.length;
    const expected = [
      /created/,
      /device_checked:none created -> awaiting_possession {2}\[device\]/,
      // The first send: the premium-rate rule denies it; the caps are read and not matched.
      /rule deny-premium-rate: matched, action deny_send \(enforced\), reason 9802 {2}inputs line_type=premium_rate/,
      ...DEFAULT_POLICY.rules.slice(1).map((r) => new RegExp(`rule ${r.id}: not matched, action deny_send \\(enforced\\), reason \\d+ {2}inputs sends_per_\\w+=0`)),
      // The change of number: every rule evaluated again, none matches, the text goes out.
      /rule deny-premium-rate: not matched, action deny_send \(enforced\), reason 9802 {2}inputs line_type=fixed_line_or_mobile/,
      ...DEFAULT_POLICY.rules.slice(1).map((r) => new RegExp(`rule ${r.id}: not matched`)),
      /otp_sent awaiting_possession -> otp_sent {2}\[sms \+1\*{6}0177\]/,
      /message to \+1\*{6}0177 via outbox: delivered/,
      /otp_checked:correct otp_sent -> succeeded/,
    ];
    assert.equal(lines.length, expected.length, out);
    expected.forEach((pattern, i) => assert.match(lines[i]!, pattern, `line ${i} of:\n${out}`));
    assert.equal(rules * 2, lines.filter((l) => l.includes(' rule ')).length);
    assert.match(out, new RegExp(`timeline \\(${expected.length} entries\\):`));
    assert.ok(!out.includes('2025550177') && !out.includes('9005550100'), 'no full number');
    assert.ok(!out.includes(code), 'no code');
  });

  it('--json is the admin query the admin API answers with', async () => {
    const shown = run('sessions', 'show', correlationId, '--json');
    assert.equal(shown.status, 0, shown.stderr);
    const json = JSON.parse(shown.stdout) as { session: { correlationId: string }; events: Array<{ type: string; at: string }> };
    const timeline = (await sessionTimeline(server.server.deps.db.kysely, correlationId))!;
    assert.equal(json.session.correlationId, correlationId);
    assert.deepEqual(json.events.map((e) => e.type), timeline.events.map((e) => e.type));
    assert.deepEqual(json.events.map((e) => e.at), timeline.events.map((e) => new Date(e.at).toISOString()));
  });

  it('an unknown session exits 1 with a message', () => {
    const shown = run('sessions', 'show', '00000000-0000-4000-8000-000000000000');
    assert.equal(shown.status, 1);
    assert.match(shown.stderr, /no session 00000000-0000-4000-8000-000000000000/);
    assert.equal(shown.stdout, '');
  });
});
