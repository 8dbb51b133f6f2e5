/**
 * The send counters (policy/velocity.ts) on the in-memory store: what each signal is keyed by
 * (number, prefix = number minus its last four digits, country, client, source address), that a
 * count is of the sends before this one, and that a send without a source address is not counted
 * per address. The PostgreSQL store is covered by test/multi-instance/policy-two-instances.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { prefixOf, VelocityCounters } from '../../src/policy/velocity.js';
import { WindowCounters } from '../../src/policy/window-counters.js';

const counters = () => new VelocityCounters(new WindowCounters((spec) => new RateLimiterMemory({ keyPrefix: spec.name, points: spec.points, duration: spec.durationSeconds })));
const keys = (number: string, over: Partial<{ country: string; client: string; ip: string | null; device_key: string | null }> = {}) => ({
  number,
  country: 'GB',
  client: 'c1',
  ip: '203.0.113.9',
  device_key: null,
  ...over,
});

describe('send counters', () => {
  it('prefix is the number without its last four digits', () => {
    assert.equal(prefixOf('+449098765432'), '+44909876');
    assert.equal(prefixOf('+123'), '+1');
  });

  it('counts the sends before this one, per number, prefix, country, client and address', async () => {
    const c = counters();
    const all = ['sends_per_number_1h', 'sends_per_prefix_1h', 'sends_per_country_24h', 'sends_per_client_1h', 'sends_per_ip_1h'] as const;
    assert.deepEqual(await c.count(all, keys('+449098760001')), { sends_per_number_1h: 0, sends_per_prefix_1h: 0, sends_per_country_24h: 0, sends_per_client_1h: 0, sends_per_ip_1h: 0 });
    assert.deepEqual(await c.count(all, keys('+449098760002')), { sends_per_number_1h: 0, sends_per_prefix_1h: 1, sends_per_country_24h: 1, sends_per_client_1h: 1, sends_per_ip_1h: 1 });
    assert.deepEqual(await c.count(all, keys('+449098760001', { client: 'c2', ip: '203.0.113.10' })), {
      sends_per_number_1h: 1,
      sends_per_prefix_1h: 2,
      sends_per_country_24h: 2,
      sends_per_client_1h: 0,
      sends_per_ip_1h: 0,
    });
    assert.deepEqual(await c.count(all, keys('+33612345678', { country: 'FR', ip: null })), {
      sends_per_number_1h: 0,
      sends_per_prefix_1h: 0,
      sends_per_country_24h: 0,
      sends_per_client_1h: 2,
    });
  });

  it('counts per device key only when the session has one', async () => {
    const c = counters();
    const signals = ['sends_per_device_key_1h', 'sends_per_device_key_24h'] as const;
    assert.deepEqual(await c.count(signals, keys('+447700900001')), {});
    assert.deepEqual(await c.count(signals, keys('+447700900001', { device_key: 'dev-1' })), { sends_per_device_key_1h: 0, sends_per_device_key_24h: 0 });
    assert.deepEqual(await c.count(signals, keys('+447700900002', { device_key: 'dev-1' })), { sends_per_device_key_1h: 1, sends_per_device_key_24h: 1 });
    assert.deepEqual(await c.count(signals, keys('+447700900002', { device_key: 'dev-2' })), { sends_per_device_key_1h: 0, sends_per_device_key_24h: 0 });
  });

  it('windows are separate counters: the 1h and 24h counts of one key move together but apart from other signals', async () => {
    const c = counters();
    await c.count(['sends_per_number_1h'], keys('+447700900001'));
    assert.deepEqual(await c.count(['sends_per_number_1h', 'sends_per_number_24h'], keys('+447700900001')), { sends_per_number_1h: 1, sends_per_number_24h: 0 });
  });
});
