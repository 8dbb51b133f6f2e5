/**
 * Verification attempts (policy/verification-attempts.ts) and conversion rates
 * (policy/conversion.ts) on the in-memory store: what each is keyed by, `count` versus `read`,
 * and a rate that is absent without evidence and never above 1.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { conversionRate, conversionRates, countUse } from '../../src/policy/conversion.js';
import { verificationAttempts } from '../../src/policy/verification-attempts.js';
import { WindowCounters } from '../../src/policy/window-counters.js';

const counters = () => new WindowCounters((spec) => new RateLimiterMemory({ keyPrefix: spec.name, points: spec.points, duration: spec.durationSeconds }));
const ALL = ['verifications_per_number_1h', 'verifications_per_number_24h', 'verifications_per_device_key_1h', 'verifications_per_device_key_24h'] as const;

describe('verification attempts', () => {
  it('a check counts per number and per device key; a read counts nothing; no key, no signal', async () => {
    const c = counters();
    const keys = { number: '+447700900001', device_key: 'dev-1' };
    assert.deepEqual(await verificationAttempts(c, ALL, keys, 'count'), { verifications_per_number_1h: 0, verifications_per_number_24h: 0, verifications_per_device_key_1h: 0, verifications_per_device_key_24h: 0 });
    assert.deepEqual(await verificationAttempts(c, ALL, { ...keys, device_key: null }, 'count'), { verifications_per_number_1h: 1, verifications_per_number_24h: 1 });
    assert.deepEqual(await verificationAttempts(c, ALL, keys, 'read'), { verifications_per_number_1h: 2, verifications_per_number_24h: 2, verifications_per_device_key_1h: 1, verifications_per_device_key_24h: 1 });
    assert.deepEqual(await verificationAttempts(c, ['verifications_per_number_1h'], { number: '+447700900002', device_key: 'dev-1' }, 'read'), { verifications_per_number_1h: 0 });
    assert.deepEqual(await verificationAttempts(c, ['verifications_per_number_1h'], { number: null, device_key: null }, 'count'), {});
  });
});

describe('conversion rate', () => {
  it('is uses ÷ sends to three decimals, at most 1, absent with no send', () => {
    assert.equal(conversionRate(1, 3), 0.333);
    assert.equal(conversionRate(0, 50), 0);
    assert.equal(conversionRate(7, 5), 1);
    assert.equal(conversionRate(3, 0), undefined);
  });

  it('uses are keyed by prefix and country like the send counters', async () => {
    const c = counters();
    const both = ['conversion_per_prefix_24h', 'conversion_per_country_24h'] as const;
    await countUse(c, both, '+447700900001', 'GB');
    await countUse(c, both, '+447700900002', 'GB');
    await countUse(c, both, '+447700812345', 'GB');
    const sends = { sends_per_prefix_24h: 4, sends_per_country_24h: 10 };
    assert.deepEqual(await conversionRates(c, both, '+447700900009', 'GB', sends), { conversion_per_prefix_24h: 0.5, conversion_per_country_24h: 0.3 });
    assert.deepEqual(await conversionRates(c, both, '+33612345678', 'FR', sends), { conversion_per_prefix_24h: 0, conversion_per_country_24h: 0 });
    assert.deepEqual(await conversionRates(c, both, '+33612345678', 'FR', {}), {});
  });
});
