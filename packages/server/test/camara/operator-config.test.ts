/**
 * Operator configuration from the environment: the documented shape, defaults, the secret from
 * its own variable, and a refusal naming the field (never the value) for every bad input.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config.js';
import { operatorFor, parseOperatorSettings } from '../../src/mobile-auth/camara/operator-config.js';

const SECRET = 'op-secret-Zq93';
const base = {
  name: 'op1',
  issuer: 'https://id.op1.example',
  apiRoot: 'https://api.op1.example/',
  clientId: 'handset',
  clientSecret: SECRET,
  redirectUri: 'https://handset.example/v1/operator/callback',
};

function parse(entries: unknown, extra: Record<string, string> = {}): ReturnType<typeof parseOperatorSettings> {
  return parseOperatorSettings({ HANDSET_OPERATORS: JSON.stringify(entries), ...extra });
}

function refused(env: Record<string, string | undefined>, field: RegExp): void {
  assert.throws(
    () => parseOperatorSettings(env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, field);
      assert.ok(!error.message.includes(SECRET), `the secret leaked: ${error.message}`);
      return true;
    },
  );
}

describe('operator configuration', () => {
  it('has no operator and the default SIM swap window when nothing is set', () => {
    assert.deepEqual(parseOperatorSettings({}), { operators: [], simSwap: { maxAgeHours: 24, timeoutMs: 1500, operator: null } });
  });

  it('reads an entry with its defaults', () => {
    const { operators } = parse([base]);
    assert.deepEqual(operators, [
      {
        name: 'op1',
        issuer: 'https://id.op1.example',
        authorizationEndpoint: null,
        tokenEndpoint: null,
        apiRoot: 'https://api.op1.example',
        clientId: 'handset',
        clientSecret: SECRET,
        authMethod: 'client_secret_basic',
        redirectUri: 'https://handset.example/v1/operator/callback',
        scopes: {
          verify: 'openid number-verification:verify',
          devicePhoneNumber: 'openid number-verification:device-phone-number:read',
          simSwap: 'sim-swap:check sim-swap:retrieve-date',
        },
        verifyWith: 'phoneNumber',
        timeoutMs: 5000,
        prefixes: [],
      },
    ]);
  });

  it('takes explicit endpoints, options, the secret from its own variable and the SIM swap settings', () => {
    const { clientSecret: _omit, ...noSecret } = base;
    void _omit;
    const settings = parse(
      [
        {
          ...noSecret,
          name: 'agg-eu',
          issuer: undefined,
          authorizationEndpoint: 'http://127.0.0.1:7400/authorize',
          tokenEndpoint: 'http://127.0.0.1:7400/token',
          authMethod: 'client_secret_post',
          verifyWith: 'hashedPhoneNumber',
          scopes: { verify: 'openid number-verification:verify extra:scope' },
          timeoutMs: 800,
          prefixes: ['+44', '+33'],
        },
      ],
      { HANDSET_OPERATOR_AGG_EU_CLIENT_SECRET: SECRET, HANDSET_SIM_SWAP_MAX_AGE_HOURS: '72', HANDSET_SIM_SWAP_TIMEOUT_MS: '900', HANDSET_SIM_SWAP_OPERATOR: 'agg-eu' },
    );
    const op = settings.operators[0]!;
    assert.equal(op.clientSecret, SECRET);
    assert.equal(op.issuer, null);
    assert.equal(op.tokenEndpoint, 'http://127.0.0.1:7400/token');
    assert.equal(op.authMethod, 'client_secret_post');
    assert.equal(op.verifyWith, 'hashedPhoneNumber');
    assert.equal(op.scopes.verify, 'openid number-verification:verify extra:scope');
    assert.equal(op.scopes.simSwap, 'sim-swap:check sim-swap:retrieve-date');
    assert.deepEqual(settings.simSwap, { maxAgeHours: 72, timeoutMs: 900, operator: 'agg-eu' });
  });

  it('chooses the operator by number prefix, the first entry for a session without a number', () => {
    const { operators } = parse([
      { ...base, name: 'uk', prefixes: ['+44'] },
      { ...base, name: 'any' },
    ]);
    assert.equal(operatorFor(operators, '+447700900123')?.name, 'uk');
    assert.equal(operatorFor(operators, '+12025550154')?.name, 'any');
    assert.equal(operatorFor(operators, null)?.name, 'uk');
    assert.equal(operatorFor([operators[0]!], '+12025550154'), undefined);
  });

  it('refuses bad input naming the field, never quoting a secret', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ...base, name: undefined }, /HANDSET_OPERATORS\[0\]\.name: required/],
      [{ ...base, name: 'Op 1' }, /\.name: must be/],
      [{ ...base, issuer: undefined }, /\.issuer: required \(or both/],
      [{ ...base, issuer: 'http://id.op1.example' }, /\.issuer: must be https/],
      [{ ...base, issuer: 'not a url' }, /\.issuer: not a URL/],
      [{ ...base, issuer: undefined, authorizationEndpoint: 'https://a.example/authorize' }, /\.tokenEndpoint: required/],
      [{ ...base, apiRoot: undefined }, /\.apiRoot: required/],
      [{ ...base, apiRoot: `https://user:${SECRET}@api.example` }, /\.apiRoot: must not carry credentials/],
      [{ ...base, redirectUri: 'https://h.example/cb#frag' }, /\.redirectUri: must not have a fragment/],
      [{ ...base, clientId: '' }, /\.clientId: required/],
      [{ ...base, clientSecret: undefined }, /\.clientSecret: required \(or HANDSET_OPERATOR_OP1_CLIENT_SECRET\)/],
      [{ ...base, authMethod: 'private_key_jwt' }, /\.authMethod: must be/],
      [{ ...base, verifyWith: 'both' }, /\.verifyWith: must be/],
      [{ ...base, scopes: { verify: 'openid  double-space' } }, /\.scopes\.verify: must be/],
      [{ ...base, scopes: { read: 'x' } }, /\.scopes\.read: unknown field/],
      [{ ...base, scopes: 'openid' }, /\.scopes: must be an object/],
      [{ ...base, timeoutMs: 10 }, /\.timeoutMs: must be an integer from 100/],
      [{ ...base, prefixes: ['44'] }, /\.prefixes: must be/],
      [{ ...base, clientSecrett: SECRET }, /\.clientSecrett: unknown field/],
      ['op1', /HANDSET_OPERATORS\[0\]: must be an object/],
    ];
    for (const [entry, field] of cases) refused({ HANDSET_OPERATORS: JSON.stringify([entry]) }, field);
    refused({ HANDSET_OPERATORS: JSON.stringify([base, base]) }, /\[1\]\.name: "op1" is used twice/);
    refused({ HANDSET_OPERATORS: JSON.stringify(base) }, /HANDSET_OPERATORS: must be a JSON array/);
    refused({ HANDSET_OPERATORS: `[{"clientSecret": "${SECRET}", oops}]` }, /HANDSET_OPERATORS: not valid JSON/);
    refused({ HANDSET_OPERATORS: JSON.stringify([base]), HANDSET_SIM_SWAP_MAX_AGE_HOURS: '0' }, /HANDSET_SIM_SWAP_MAX_AGE_HOURS: must be an integer from 1 to 2400/);
    refused({ HANDSET_OPERATORS: JSON.stringify([base]), HANDSET_SIM_SWAP_MAX_AGE_HOURS: '2401' }, /HANDSET_SIM_SWAP_MAX_AGE_HOURS/);
    refused({ HANDSET_OPERATORS: JSON.stringify([base]), HANDSET_SIM_SWAP_TIMEOUT_MS: '1.5s' }, /HANDSET_SIM_SWAP_TIMEOUT_MS/);
    refused({ HANDSET_OPERATORS: JSON.stringify([base]), HANDSET_SIM_SWAP_OPERATOR: 'op2' }, /HANDSET_SIM_SWAP_OPERATOR: "op2" is not a name/);
  });
});
