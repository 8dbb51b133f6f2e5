/**
 * Session facts and per-device-key counters, on the in-memory store (policy/session-facts.ts)
 * and over a socket (SQLite and PostgreSQL passes): changes of number in one session, distinct
 * numbers texted under one Prove Key, and the rules over them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { countNumberChange, distinctNumbersPerDeviceKey, numberChanges } from '../../src/policy/session-facts.js';
import { WindowCounters } from '../../src/policy/window-counters.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { DeviceKey } from '../support/device-key.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';

const counters = () => new WindowCounters((spec) => new RateLimiterMemory({ keyPrefix: spec.name, points: spec.points, duration: spec.durationSeconds }));

describe('session facts: counting', () => {
  it('number changes are per session, counted once the change is made', async () => {
    const c = counters();
    assert.equal(await numberChanges(c, 's1'), 0);
    await countNumberChange(c, 's1');
    await countNumberChange(c, 's1');
    assert.equal(await numberChanges(c, 's1'), 2);
    assert.equal(await numberChanges(c, 's2'), 0);
  });

  it('distinct numbers per device key count each number once, this one included', async () => {
    const c = counters();
    assert.equal(await distinctNumbersPerDeviceKey(c, 'dev-1', '+447700900001'), 1);
    assert.equal(await distinctNumbersPerDeviceKey(c, 'dev-1', '+447700900001'), 1);
    assert.equal(await distinctNumbersPerDeviceKey(c, 'dev-1', '+447700900002'), 2);
    assert.equal(await distinctNumbersPerDeviceKey(c, 'dev-2', '+447700900002'), 1);
    assert.equal(await distinctNumbersPerDeviceKey(c, 'dev-1', '+447700900003'), 3);
  });
});

describe('session facts: rules over a socket', () => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-facts-'));
  let server: TestServer;
  before(async () => {
    const file = join(dir, 'facts.json');
    const rules = [
      { id: 'changes', when: { signal: 'number_changes', op: '>=', value: 2 }, action: 'deny_send', reason: 9812 },
      { id: 'one-phone-many-numbers', when: { signal: 'distinct_numbers_per_device_key_24h', op: '>', value: 3 }, action: 'deny_send', reason: 9811 },
      { id: 'watch-key', when: { signal: 'sends_per_device_key_1h', op: '>=', value: 100 }, action: 'flag', reason: 9811 },
    ];
    writeFileSync(file, JSON.stringify({ version: 1, rules }));
    server = await startTestServer({ overrides: { env: { ...process.env, HANDSET_POLICY_FILE: file } } });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const denied = (reply: { body: { data?: unknown } }): boolean => (reply.body.data as { code?: number } | undefined)?.code !== undefined;

  it('a session may change its number twice; the third change is denied (9812) and the session keeps its number', async () => {
    const started = await Backend.of(server).unify({ possessionType: 'mobile', phoneNumber: '+12025550160', allowOTPRetry: true });
    const phone = new ProtocolClient(started.authToken!);
    assert.equal(denied(await phone.otpStart()), false);
    assert.equal(denied(await phone.otpStart('+12025550161')), false);
    assert.equal(denied(await phone.otpStart('+12025550162')), false);
    assert.equal(denied(await phone.otpStart('+12025550163')), true);
    assert.equal((await server.outbox()).filter((m) => m.to === '+12025550163').length, 0);
    const entries = await server.server.deps.db.kysely
      .selectFrom('session_events')
      .select(['reason', 'destination'])
      .where('correlation_id', '=', started.correlationId)
      .where('type', '=', 'policy:changes')
      .orderBy('seq')
      .execute();
    assert.deepEqual(
      entries.map((e) => e.destination),
      ['number_changes=0', 'number_changes=0', 'number_changes=1', 'number_changes=2'],
    );
    assert.equal(entries.at(-1)!.reason, 'matched:deny_send:enforced:9812');
  });

  it('one Prove Key asking for texts to a fourth number in a day is denied (9811), and then for every number: denied asks count as seen', async () => {
    const key = new DeviceKey();
    const tries: boolean[] = [];
    let lastSession = '';
    for (const n of ['+12025550170', '+12025550171', '+12025550172', '+12025550173', '+12025550170']) {
      const started = await Backend.of(server).unify({ possessionType: 'mobile', phoneNumber: n });
      const phone = new ProtocolClient(started.authToken!);
      await phone.deviceStep(key);
      tries.push(denied(await phone.otpStart()));
      lastSession = started.correlationId;
    }
    assert.deepEqual(tries, [false, false, false, true, true]);
    const inputs = await server.server.deps.db.kysely
      .selectFrom('session_events')
      .select(['type', 'destination'])
      .where('correlation_id', '=', lastSession)
      .where('channel', '=', 'policy')
      .orderBy('seq')
      .execute();
    assert.deepEqual(
      inputs.filter((e) => e.type !== 'policy:changes'),
      [
        { type: 'policy:one-phone-many-numbers', destination: 'distinct_numbers_per_device_key_24h=4' },
        { type: 'policy:watch-key', destination: 'sends_per_device_key_1h=4' },
      ],
    );
  });
});
