/**
 * The numbers tests, soaks and benchmarks send texts to (test/support/numbers.ts): one range each,
 * all distinct, and none that the default fraud policy refuses to text (a premium-rate 976
 * exchange failed a `bench:flows` flow once).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { phoneFor } from '../../../../scripts/soak/flows.js';
import { spreadNumber } from '../support/numbers.js';

const RANGES = 698 * 799;

describe('spread numbers', () => {
  it('are distinct, each of the first ranges once, and never a 976 exchange', () => {
    const seen = new Set<string>();
    const ranges = new Set<string>();
    for (let sequence = 0; sequence < RANGES + 1000; sequence++) {
      const number = spreadNumber(sequence);
      assert.match(number, /^\+1[2-8]\d{2}[2-9]\d{6}$/);
      assert.doesNotMatch(number, /^\+1\d{3}976/, `sequence ${sequence}`);
      seen.add(number);
      if (sequence < RANGES) ranges.add(number.slice(0, 8));
    }
    assert.equal(seen.size, RANGES + 1000);
    assert.equal(ranges.size, RANGES);
  });

  it('are neither premium rate nor shared cost (sampled)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (sequence) => {
        const number = spreadNumber(sequence);
        const parsed = parsePhoneNumberFromString(number);
        // Many are in area codes not assigned yet (invalid to libphonenumber): Handset accepts those.
        assert.ok(parsed, number);
        const type = parsed.getType() ?? '';
        assert.ok(!['PREMIUM_RATE', 'SHARED_COST'].includes(type), `${number}: ${type}`);
      }),
      { numRuns: 2000 },
    );
  });

  it('the soak and the benchmarks use the same generator', () => {
    for (const sequence of [0, 1, 37_576, 557_701, 1_000_000]) assert.equal(phoneFor(sequence), spreadNumber(sequence));
  });
});
