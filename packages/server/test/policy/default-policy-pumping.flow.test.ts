/**
 * A fresh deployment, no configuration: the default policy stops SMS pumping and harassment,
 * played over a socket on both databases with `/v3/unify` + OTP starts from one client. A run
 * through one ordinary mobile range stops at the default range cap, a run through a premium-rate
 * range sends nothing, one number hammered stops at the default number cap; each refusal has its
 * rule on its timeline. In sandbox mode a cap is evaluated and recorded but stops nothing.
 * (Two instances on one PostgreSQL database: test/multi-instance/policy-two-instances.test.ts.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_CAPS } from '../../src/policy/default-policy.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { deniedBy, Pump, textsTo } from '../support/pumping.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';

describe('the default policy, no configuration', () => {
  let server: TestServer;
  let pump: Pump;
  before(async () => {
    const env = { ...process.env };
    delete env.HANDSET_POLICY_FILE;
    server = await startTestServer({ overrides: { env } });
    pump = new Pump(server);
  });
  after(async () => {
    pump.close();
    await server.close();
  });

  const RUN = 400;
  it(`${RUN} starts through one ordinary mobile range stop at the default range cap (${DEFAULT_CAPS.prefixPerHour} an hour)`, { timeout: 600_000 }, async () => {
    assert.equal(server.server.deps.policy.current.source, 'default');
    const { sent, refused } = await pump.run(RUN, (i) => `+2327612${String(i).padStart(4, '0')}`);
    assert.equal(sent.length, DEFAULT_CAPS.prefixPerHour);
    assert.equal(await textsTo(server, '+2327612'), DEFAULT_CAPS.prefixPerHour);
    assert.deepEqual(await deniedBy(server, 'prefix-hourly-cap', 9805), [...refused].sort());
  });

  it('starts through a premium-rate range send nothing at all', async () => {
    const { sent, refused } = await pump.run(100, (i) => `+44909012${String(i).padStart(4, '0')}`);
    assert.deepEqual(sent, []);
    assert.equal(await textsTo(server, '+44909012'), 0);
    const denied = await deniedBy(server, 'deny-premium-rate', 9802);
    assert.equal(denied.length, refused.length, 'as many denials as refused sends');
    assert.deepEqual(denied, [...refused].sort());
  });

  it(`one number hammered gets ${DEFAULT_CAPS.numberPerHour} texts an hour, then none`, async () => {
    const number = '+33612345678';
    const { sent, refused } = await pump.run(DEFAULT_CAPS.numberPerHour + 15, () => number);
    assert.equal(sent.length, DEFAULT_CAPS.numberPerHour);
    assert.equal(await textsTo(server, number), DEFAULT_CAPS.numberPerHour);
    assert.deepEqual(await deniedBy(server, 'number-hourly-cap', 9804), [...refused].sort());
  });
});

describe('sandbox mode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-pumping-sandbox-'));
  let server: TestServer;
  before(async () => {
    const file = join(dir, 'policy.json');
    const rule = { id: 'number-cap', when: { signal: 'sends_per_number_1h', op: '>=', value: 3 }, action: 'deny_send', reason: 9804 };
    writeFileSync(file, JSON.stringify({ version: 1, rules: [rule] }));
    server = await startTestServer({ sandbox: true, overrides: { env: { ...process.env, HANDSET_POLICY_FILE: file } } });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a send cap is evaluated and recorded (off) but stops no session (a sandbox test user, cap 3)', async () => {
    const attempts = 13;
    const backend = Backend.of(server);
    const results = [];
    // Desktop Instant Link starts: the sandbox's test user takes them without a device step.
    for (let i = 0; i < attempts; i++) {
      const started = await backend.unify({ possessionType: 'desktop', phoneNumber: '+12001004014', finalTargetUrl: 'https://shop.example.com/done' });
      results.push((await new ProtocolClient(started.authToken!).instantLinkStart()).body);
    }
    assert.deepEqual(results, Array.from({ length: attempts }, () => ({ next: '', data: {} })));
    const off = await server.server.deps.db.kysely
      .selectFrom('session_events')
      .select('reason')
      .where('type', '=', 'policy:number-cap')
      .where('reason', '=', 'matched:deny_send:off:9804')
      .execute();
    assert.equal(off.length, 10);
  });
});
