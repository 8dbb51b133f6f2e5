/**
 * The settings of the abuse bounds (HANDSET_LIMIT_*, HANDSET_TRUST_PROXY), every validator with
 * its refusals, and the address key the per-address budgets count by.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, NO_ABUSE_LIMITS, parseTrustProxy } from '../../src/config.js';
import { addressKey } from '../../src/http/client-address.js';

const LIMIT_VARIABLES = {
  HANDSET_LIMIT_PUBLIC_PER_IP_PER_MINUTE: 'publicPerIpPerMinute',
  HANDSET_LIMIT_PUBLIC_GLOBAL_PER_MINUTE: 'publicGlobalPerMinute',
  HANDSET_LIMIT_CHALLENGES_PER_IP: 'challengesPerIp',
  HANDSET_LIMIT_SESSION_PER_MINUTE: 'sessionPerMinute',
  HANDSET_LIMIT_TOKEN_PER_CLIENT_PER_MINUTE: 'tokenPerClientPerMinute',
  HANDSET_LIMIT_TOKEN_PER_IP_PER_MINUTE: 'tokenPerIpPerMinute',
  HANDSET_LIMIT_TOKEN_FAILURES_PER_IP: 'tokenFailuresPerIp',
} as const;

describe('abuse limit settings', () => {
  it('default to generous bounds, all on', () => {
    const { limits } = loadConfig({}, {});
    assert.deepEqual(limits, {
      publicPerIpPerMinute: 600,
      publicGlobalPerMinute: 6000,
      challengesPerIp: 100,
      sessionPerMinute: 60,
      tokenPerClientPerMinute: 60,
      tokenPerIpPerMinute: 120,
      tokenFailuresPerIp: 10,
    });
    assert.equal(Object.keys(limits).length, Object.keys(LIMIT_VARIABLES).length);
    assert.deepEqual(Object.keys(NO_ABUSE_LIMITS).sort(), Object.keys(limits).sort());
  });

  for (const [variable, field] of Object.entries(LIMIT_VARIABLES)) {
    it(`${variable} sets ${field}; 0 turns it off`, () => {
      assert.equal(loadConfig({}, { [variable]: '7' }).limits[field], 7);
      assert.equal(loadConfig({}, { [variable]: '0' }).limits[field], 0);
    });

    for (const bad of ['-1', 'ten', '2.5', '1e400']) {
      it(`${variable}=${bad} is refused, naming the variable`, () => {
        assert.throws(() => loadConfig({}, { [variable]: bad }), (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.match(error.message, new RegExp(variable));
          return true;
        });
      });
    }
  }
});

describe('HANDSET_TRUST_PROXY', () => {
  it('is off by default and for off/false/no', () => {
    assert.equal(loadConfig({}, {}).trustProxy, false);
    for (const off of ['', ' ', 'off', 'false', 'no', 'OFF']) assert.equal(parseTrustProxy(off), false, off);
  });

  it('takes addresses, CIDRs and the names loopback/linklocal/uniquelocal', () => {
    assert.deepEqual(parseTrustProxy('loopback'), ['loopback']);
    assert.deepEqual(parseTrustProxy('10.0.0.0/8, 192.168.1.7 ,::1/128,fd00::/8,uniquelocal,linklocal'), [
      '10.0.0.0/8',
      '192.168.1.7',
      '::1/128',
      'fd00::/8',
      'uniquelocal',
      'linklocal',
    ]);
    assert.deepEqual(loadConfig({}, { HANDSET_TRUST_PROXY: '127.0.0.1' }).trustProxy, ['127.0.0.1']);
  });

  for (const bad of ['true', '1', '2', 'proxy.internal', '10.0.0.0/33', '::/129', '10.0.0.0/8/1', '10.0.0.0/x', '10.0.0.1,', ',', '256.1.1.1']) {
    it(`refuses "${bad}"`, () => {
      assert.throws(() => loadConfig({}, { HANDSET_TRUST_PROXY: bad }), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /HANDSET_TRUST_PROXY/);
        return true;
      });
    });
  }
});

describe('addressKey', () => {
  it('keeps IPv4 addresses, and unwraps IPv4-mapped IPv6 ones', () => {
    assert.equal(addressKey('198.51.100.7'), '198.51.100.7');
    assert.equal(addressKey('::ffff:198.51.100.7'), '198.51.100.7');
    assert.equal(addressKey('::FFFF:198.51.100.7'), '198.51.100.7');
  });

  it('counts IPv6 per /64, whatever the notation', () => {
    const key = '2001:db8:0:1::/64';
    for (const address of ['2001:db8:0:1::1', '2001:0db8:0000:0001:ffff:ffff:ffff:ffff', '2001:db8::1:0:0:0:5', '2001:db8:0:1:1:2:3.4.5.6', '2001:db8:0:1::9%eth0']) {
      assert.equal(addressKey(address), key, address);
    }
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.equal(addressKey('2001:db8::'), '2001:db8:0:0::/64');
    assert.notEqual(addressKey('2001:db8:0:2::1'), key);
  });
});
