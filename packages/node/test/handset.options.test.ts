/**
 * @module handset.options.test
 * Construction: option validation, Prove-style aliases, where requests go (path prefix versus the
 * root `/token`), what they carry, and that the secret never shows in `inspect`/`JSON`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { Handset, SDK_VERSION, type HandsetOptions } from '../src/index.ts';
import { startFakeHandset, type FakeHandset } from './support/fake-handset.ts';

const base: HandsetOptions = { serverURL: 'http://127.0.0.1:1', clientId: 'id', clientSecret: 'secret' };

describe('new Handset(options)', () => {
  it('accepts clientId/clientSecret or Prove-style security, and retry or retryConfig', () => {
    assert.ok(new Handset(base).v3);
    assert.ok(new Handset({ serverURL: base.serverURL, security: { clientID: 'id', clientSecret: 's' } }).v3);
    assert.ok(new Handset({ ...base, retryConfig: { strategy: 'backoff' } }).v3);
    assert.ok(new Handset({ ...base, retry: { strategy: 'none' }, timeoutMs: Infinity }).v3);
  });

  it('rejects invalid options with a TypeError that does not repeat the secret', () => {
    const cases: Array<[string, Partial<HandsetOptions> & Record<string, unknown>]> = [
      ['no serverURL', { serverURL: undefined }],
      ['empty serverURL', { serverURL: ' ' }],
      ['relative serverURL', { serverURL: '/api' }],
      ['ftp serverURL', { serverURL: 'ftp://example.com' }],
      ['credentials in serverURL', { serverURL: 'https://user:pw@example.com' }],
      ['query in serverURL', { serverURL: 'https://example.com/?x=1' }],
      ['fragment in serverURL', { serverURL: 'https://example.com/#x' }],
      ['no clientId', { clientId: undefined }],
      ['empty clientSecret', { clientSecret: '' }],
      ['zero timeout', { timeoutMs: 0 }],
      ['negative timeout', { timeoutMs: -5 }],
      ['NaN timeout', { timeoutMs: Number.NaN }],
      ['bad retry', { retry: { strategy: 'sometimes' } as never }],
      ['retry and retryConfig', { retry: { strategy: 'none' }, retryConfig: { strategy: 'none' } }],
      ['now not a function', { now: 5 as never }],
      ['sleep not a function', { sleep: 'x' as never }],
    ];
    for (const [label, patch] of cases) {
      assert.throws(
        () => new Handset({ ...base, clientSecret: 'TOPSECRET', ...patch } as HandsetOptions),
        (err: unknown) => err instanceof TypeError && !err.message.includes('TOPSECRET'),
        label,
      );
    }
    assert.throws(() => new Handset(undefined as never), TypeError);
  });

  it('keeps the secret out of inspect() and JSON.stringify()', () => {
    const handset = new Handset({ ...base, clientSecret: 'TOPSECRET-123' });
    assert.ok(!inspect(handset, { depth: 10, showHidden: true }).includes('TOPSECRET'));
    assert.ok(!JSON.stringify(handset).includes('TOPSECRET'));
  });

  it('has SDK_VERSION equal to package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal(SDK_VERSION, pkg.version);
  });

  it('rejects a malformed per-call option before sending', async () => {
    const handset = new Handset(base);
    await assert.rejects(handset.v3.v3UnifyStatusRequest({ correlationId: 'c' }, { timeoutMs: -1 }), TypeError);
    await assert.rejects(
      handset.v3.v3UnifyStatusRequest({ correlationId: 'c' }, { retries: { strategy: 'nope' } as never }),
      TypeError,
    );
  });
});

describe('requests over a socket (fake server with a path prefix)', () => {
  let fake: FakeHandset;
  before(async () => {
    fake = await startFakeHandset({ prefix: '/api/handset' });
  });
  after(() => fake.close());

  it('sends API calls under the prefix and /token at the host root', async () => {
    const handset = new Handset({ serverURL: `${fake.url}/`, clientId: fake.clientId, clientSecret: fake.clientSecret });
    const res = await handset.v3.v3UnifyRequest({ possessionType: 'none', clientRequestId: 'r-1', phoneNumber: '2001004018' });
    assert.equal(res.v3UnifyResponse.success, 'pending');
    assert.deepEqual(
      fake.requests.map((r) => `${r.method} ${r.path}`),
      ['POST /token', 'POST /api/handset/v3/unify'],
    );
  });

  it('posts the token form and a JSON body with the expected headers', async () => {
    fake.requests.length = 0;
    const handset = new Handset({ serverURL: fake.url, clientId: fake.clientId, clientSecret: fake.clientSecret });
    await handset.v3.v3DeviceRevokeRequest({ clientRequestId: 'r-2', deviceId: 'dev-1' });
    const [token, revoke] = fake.requests;
    assert.ok(token && revoke);
    assert.match(token.headers['content-type'] ?? '', /^application\/x-www-form-urlencoded/);
    assert.equal(token.headers.authorization, undefined);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(token.body)), {
      grant_type: 'client_credentials',
      client_id: fake.clientId,
      client_secret: fake.clientSecret,
    });
    assert.equal(revoke.path, '/api/handset/v3/device/revoke');
    assert.equal(revoke.headers['content-type'], 'application/json');
    assert.equal(revoke.headers.accept, 'application/json');
    assert.equal(revoke.headers['user-agent'], `handset-node/${SDK_VERSION}`);
    assert.equal(revoke.headers.authorization, `Bearer ${fake.tokens.at(-1)}`);
    assert.deepEqual(JSON.parse(revoke.body), { clientRequestId: 'r-2', deviceId: 'dev-1' });
  });

  it('percent-encodes credentials in the token form', async () => {
    fake.requests.length = 0;
    const handset = new Handset({ serverURL: fake.url, clientId: 'a b&c', clientSecret: 's=1&2' });
    await assert.rejects(handset.v3.v3UnifyStatusRequest({ correlationId: 'c' }), { kind: 'unauthorized', operation: 'token' });
    const form = new URLSearchParams(fake.requests[0]?.body);
    assert.equal(form.get('client_id'), 'a b&c');
    assert.equal(form.get('client_secret'), 's=1&2');
  });
});
