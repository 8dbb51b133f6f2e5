/**
 * Development conveniences are explicit (issue 11 §7): the outbox page and the sandbox carrier
 * run only when development mode (`--dev`, `HANDSET_DEV=1`) or sandbox mode is asked for, never
 * because `NODE_ENV` is unset, and a start outside both without an SMS provider is refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, undeliverableStart } from '../../src/config.js';

describe('development mode is asked for, not assumed', () => {
  it('with nothing set, the platform is in production mode: NODE_ENV unset or "development" changes nothing', () => {
    for (const env of [{}, { NODE_ENV: 'development' }, { NODE_ENV: 'test' }, { NODE_ENV: 'production' }]) {
      assert.equal(loadConfig({}, env).production, true, JSON.stringify(env));
    }
  });

  it('HANDSET_DEV=1 or --dev turns development mode on; HANDSET_DEV=0 leaves it off', () => {
    for (const value of ['1', 'true', 'yes', 'on', 'TRUE']) assert.equal(loadConfig({}, { HANDSET_DEV: value }).production, false, value);
    for (const value of ['0', 'false', 'no', 'off', '']) assert.equal(loadConfig({}, { HANDSET_DEV: value }).production, true, value);
    assert.equal(loadConfig({ dev: true }, {}).production, false);
    assert.equal(loadConfig({ dev: false }, { HANDSET_DEV: '1' }).production, true, 'the flag wins over the environment');
  });

  it('an unreadable HANDSET_DEV or HANDSET_SANDBOX is refused, naming the variable', () => {
    assert.throws(() => loadConfig({}, { HANDSET_DEV: 'maybe' }), (e: unknown) => e instanceof ConfigError && /^HANDSET_DEV: expected a boolean/.test(e.message));
    assert.throws(() => loadConfig({}, { HANDSET_SANDBOX: '2' }), (e: unknown) => e instanceof ConfigError && /^HANDSET_SANDBOX: expected a boolean/.test(e.message));
  });

  it('sandbox-carrier settings outside development and sandbox mode are refused, not silently ignored', () => {
    assert.throws(
      () => loadConfig({}, { HANDSET_MOBILE_AUTH_NUMBERS: '+12025550100' }),
      (e: unknown) => e instanceof ConfigError && /HANDSET_MOBILE_AUTH_NUMBERS configures the sandbox carrier.*--dev or HANDSET_DEV=1/.test(e.message),
    );
    assert.throws(() => loadConfig({}, { HANDSET_MOBILE_AUTH_LINE: '+12025550100' }), /HANDSET_MOBILE_AUTH_LINE configures the sandbox carrier/);
    assert.deepEqual(loadConfig({}, { HANDSET_DEV: '1', HANDSET_MOBILE_AUTH_NUMBERS: '+12025550100' }).mobileAuthNumbers, ['+12025550100']);
    assert.deepEqual(loadConfig({ sandbox: true }, { HANDSET_MOBILE_AUTH_NUMBERS: '+12025550100' }).mobileAuthNumbers, ['+12025550100']);
  });

  it('a start needs somewhere to send texts: an SMS provider, development mode or sandbox mode', () => {
    const production = loadConfig({}, {});
    assert.match(undeliverableStart(production, false) ?? '', /no SMS provider is configured.*HANDSET_SMS_PROVIDERS.*--dev or HANDSET_DEV=1.*--sandbox or HANDSET_SANDBOX=1/);
    assert.equal(undeliverableStart(production, true), null, 'a provider');
    assert.equal(undeliverableStart(loadConfig({ dev: true }, {}), false), null, 'development mode');
    assert.equal(undeliverableStart(loadConfig({ sandbox: true }, {}), false), null, 'sandbox mode');
  });
});
