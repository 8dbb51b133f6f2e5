/**
 * @module retry.policy.test
 * The pure parts of the retry policy: `Retry-After` parsing, backoff intervals and the validation
 * of retry options.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRetryAfter } from '../src/index.ts';
import { backoffDelay, DEFAULT_BACKOFF, resolveRetryPolicy, type RetryConfig } from '../src/retry.ts';

const NOW = Date.parse('2030-01-01T00:00:00Z');

describe('parseRetryAfter', () => {
  it('reads delay-seconds as milliseconds', () => {
    assert.equal(parseRetryAfter('0', NOW), 0);
    assert.equal(parseRetryAfter('2', NOW), 2000);
    assert.equal(parseRetryAfter(' 120 ', NOW), 120_000);
  });

  it('reads an IMF-fixdate relative to the clock', () => {
    assert.equal(parseRetryAfter('Tue, 01 Jan 2030 00:00:03 GMT', NOW), 3000);
  });

  it('reads the obsolete RFC 850 and asctime date forms', () => {
    assert.equal(parseRetryAfter('Tuesday, 01-Jan-30 00:00:05 GMT', NOW), 5000);
    assert.equal(parseRetryAfter('Tue Jan  1 00:00:07 2030', NOW), 7000);
  });

  it('treats a date in the past as no wait', () => {
    assert.equal(parseRetryAfter('Mon, 31 Dec 2029 23:59:00 GMT', NOW), 0);
  });

  it('rejects absent and malformed values', () => {
    for (const value of [null, undefined, '', '   ', '-1', '1.5', '2s', 'soon', 'Tue, 99 Foo 2030 GMT', '1e3', '0x10']) {
      assert.equal(parseRetryAfter(value, NOW), undefined, `value ${JSON.stringify(value)}`);
    }
  });
});

describe('backoffDelay', () => {
  const backoff = { initialInterval: 100, maxInterval: 1000, exponent: 2, maxElapsedTime: 10_000 };

  it('grows exponentially and is capped at maxInterval', () => {
    assert.equal(backoffDelay(0, backoff, () => 0), 100);
    assert.equal(backoffDelay(1, backoff, () => 0), 200);
    assert.equal(backoffDelay(3, backoff, () => 0), 800);
    assert.equal(backoffDelay(10, backoff, () => 0), 1000);
  });

  it('takes at most a quarter off as jitter', () => {
    assert.equal(backoffDelay(2, backoff, () => 1), 300);
    assert.equal(backoffDelay(2, backoff, () => 0.5), 350);
  });
});

describe('resolveRetryPolicy', () => {
  it('is off when not configured or strategy none', () => {
    assert.equal(resolveRetryPolicy(undefined, 'retry').enabled, false);
    assert.equal(resolveRetryPolicy({ strategy: 'none' }, 'retry').enabled, false);
  });

  it('fills the documented defaults for backoff', () => {
    const policy = resolveRetryPolicy({ strategy: 'backoff' }, 'retry');
    assert.equal(policy.enabled, true);
    assert.deepEqual(policy.backoff, { initialInterval: 500, maxInterval: 60_000, exponent: 1.5, maxElapsedTime: 3_600_000 });
    assert.deepEqual(policy.backoff, DEFAULT_BACKOFF);
    assert.equal(policy.retryConnectionErrors, false);
  });

  it('keeps given values and defaults the rest', () => {
    const policy = resolveRetryPolicy(
      { strategy: 'backoff', backoff: { initialInterval: 1, maxElapsedTime: 50 }, retryConnectionErrors: true },
      'retry',
    );
    assert.deepEqual(policy.backoff, { initialInterval: 1, maxInterval: 60_000, exponent: 1.5, maxElapsedTime: 50 });
    assert.equal(policy.retryConnectionErrors, true);
  });

  it('rejects malformed configurations', () => {
    const bad: unknown[] = [
      null,
      'backoff',
      { strategy: 'exponential' },
      { strategy: 'backoff', backoff: { initialInterval: -1 } },
      { strategy: 'backoff', backoff: { maxInterval: Number.NaN } },
      { strategy: 'backoff', backoff: { maxElapsedTime: '10' } },
      { strategy: 'backoff', backoff: { exponent: 0.5 } },
      { strategy: 'backoff', retryConnectionErrors: 'yes' },
    ];
    for (const config of bad) {
      assert.throws(() => resolveRetryPolicy(config as RetryConfig, 'retry'), TypeError, JSON.stringify(config));
    }
  });
});
