/**
 * The metrics settings (HANDSET_METRICS_TOKEN, HANDSET_METRICS_ADDRESS, HANDSET_DOCS_URL) and the
 * exposure they select; the session channel label; the country label of a message.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, parseMetricsAddress } from '../../src/config.js';
import { SESSION_STATES } from '../../src/flows/session-types.js';
import { countryOf } from '../../src/metrics/metered-sms.js';
import { metricsExposure } from '../../src/metrics/metrics-endpoint.js';
import { SESSION_CHANNELS, sessionChannel } from '../../src/metrics/session-channel.js';

const TOKEN = 'abcdefghijklmnop';

describe('metrics configuration', () => {
  it('HANDSET_METRICS_ADDRESS takes HOST:PORT, IPv6 in brackets', () => {
    assert.deepEqual(parseMetricsAddress('127.0.0.1:9464'), { host: '127.0.0.1', port: 9464 });
    assert.deepEqual(parseMetricsAddress(' [::1]:9464 '), { host: '::1', port: 9464 });
    assert.deepEqual(parseMetricsAddress('metrics.internal:9100'), { host: 'metrics.internal', port: 9100 });
    assert.equal(parseMetricsAddress(''), null);
    assert.equal(parseMetricsAddress(undefined), null);
  });

  it('HANDSET_METRICS_ADDRESS refuses a bare port, a missing port, a bad IPv6 literal and a port out of range', () => {
    for (const bad of ['9464', '127.0.0.1', '127.0.0.1:', ':9464', '::1:9464', '[zz]:9464', '[127.0.0.1]:9464', '127.0.0.1:65536', '127.0.0.1:123456', 'a b:1', 'http://x:1']) {
      assert.throws(() => parseMetricsAddress(bad), ConfigError, bad);
    }
  });

  it('HANDSET_METRICS_TOKEN must be 16 characters or more, without spaces', () => {
    assert.equal(loadConfig({}, { HANDSET_METRICS_TOKEN: TOKEN }).metricsToken, TOKEN);
    assert.equal(loadConfig({}, {}).metricsToken, null);
    assert.throws(() => loadConfig({}, { HANDSET_METRICS_TOKEN: 'short' }), /at least 16 characters/);
    assert.throws(() => loadConfig({}, { HANDSET_METRICS_TOKEN: 'abcdefgh ijklmnopq' }), /without spaces/);
  });

  it('HANDSET_DOCS_URL must be an http(s) URL', () => {
    assert.equal(loadConfig({}, { HANDSET_DOCS_URL: 'https://docs.example.com/handset' }).docsUrl, 'https://docs.example.com/handset');
    assert.equal(loadConfig({}, {}).docsUrl, null);
    for (const bad of ['docs', 'javascript:alert(1)', 'ftp://x/y', '/docs']) {
      assert.throws(() => loadConfig({}, { HANDSET_DOCS_URL: bad }), /HANDSET_DOCS_URL/, bad);
    }
  });

  it('the exposure: the address wins, then the token; production without either is off, development open', () => {
    const address = { host: '127.0.0.1', port: 9464 };
    assert.deepEqual(metricsExposure({ metricsAddress: address, metricsToken: null, production: true }), { where: 'internal', ...address, token: null });
    assert.deepEqual(metricsExposure({ metricsAddress: address, metricsToken: TOKEN, production: false }), { where: 'internal', ...address, token: TOKEN });
    assert.deepEqual(metricsExposure({ metricsAddress: null, metricsToken: TOKEN, production: true }), { where: 'public', token: TOKEN });
    assert.deepEqual(metricsExposure({ metricsAddress: null, metricsToken: null, production: true }), { where: 'off' });
    assert.deepEqual(metricsExposure({ metricsAddress: null, metricsToken: null, production: false }), { where: 'public', token: null });
    const fromEnv = loadConfig({}, { HANDSET_ENV: 'production', HANDSET_METRICS_ADDRESS: '127.0.0.1:9464' });
    assert.equal(metricsExposure(fromEnv).where, 'internal');
  });
});

describe('metric labels', () => {
  it('the channel of every state change is one of the documented values', () => {
    for (const from of SESSION_STATES) {
      for (const to of SESSION_STATES) {
        for (const match of [null, 'new', 'match', 'mismatch', 'none']) {
          for (const atInsert of [false, true]) assert.ok(SESSION_CHANNELS.includes(sessionChannel(from, to, match, atInsert)));
        }
      }
    }
    assert.equal(sessionChannel('otp_sent', 'succeeded', 'new', false), 'otp');
    assert.equal(sessionChannel('otp_sent', 'failed', null, false), 'otp');
    assert.equal(sessionChannel('link_sent', 'failed', null, false), 'instant_link');
    assert.equal(sessionChannel('mobile_auth', 'possession_required', 'mismatch', false), 'mobile_auth');
    assert.equal(sessionChannel('created', 'succeeded', 'match', false), 'prove_key');
    assert.equal(sessionChannel('created', 'possession_required', 'new', false), 'customer_supplied');
    assert.equal(sessionChannel('possession_required', 'succeeded', 'new', false), 'customer_supplied');
    assert.equal(sessionChannel('awaiting_possession', 'failed', 'new', false), 'none');
    assert.equal(sessionChannel('created', 'succeeded', null, true), 'sandbox');
  });

  it('a message is labelled with a country code, never the number', () => {
    assert.equal(countryOf('+12025550100'), 'US');
    assert.equal(countryOf('+14165550100'), 'CA');
    assert.equal(countryOf('+33612345678'), 'FR');
    assert.equal(countryOf('+12005550100'), 'US', 'an unassigned +1 range (the sandbox) counts under the main region of +1');
    assert.equal(countryOf('+447700900123'), 'GB', "the UK's drama range likewise");
    assert.equal(countryOf('not a number'), 'unknown');
    assert.equal(countryOf('+999123456789'), 'unknown');
  });
});
