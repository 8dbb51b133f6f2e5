/**
 * @module handset.tokens.test
 * Access-token handling against a real Handset server on a real socket: one `/token` call serves
 * many API calls (also concurrent ones), the token is refreshed 60 s before expiry, a 401 drops it
 * and the call is retried once with a fresh one, and bad credentials are a typed error.
 *
 * Time is moved, never waited for: the server gets a `ManualClock` and the SDK an injected `now`.
 * Moving only the server's clock past the token's expiry makes the real server refuse a token the
 * SDK still believes valid, which is how a genuine 401 is produced. `/token` calls are counted
 * with a pass-through `fetch` that only records paths and statuses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { ManualClock } from '@handset/server';
import { startTestServer, type TestServer } from '@handset/server/testing';
import { Handset, UnauthorizedError, type HandsetOptions } from '../src/index.ts';
import { loggingFetch, summary, type LoggedExchange } from './support/fetch-log.ts';

const HOUR = 3_600_000;
const SKEW = 60_000;

describe('access tokens (real server)', () => {
  let server: TestServer;
  const serverClock = new ManualClock();
  let sdkNow = serverClock.now();

  before(async () => {
    server = await startTestServer({ overrides: { clock: serverClock } });
  });
  after(() => server.close());

  const client = (log: LoggedExchange[], extra: Partial<HandsetOptions> = {}): Handset =>
    new Handset({
      serverURL: server.url,
      clientId: server.clientId,
      clientSecret: server.clientSecret,
      fetch: loggingFetch(log),
      now: () => sdkNow,
      ...extra,
    });

  /** Moves both clocks, as real time would. */
  const advanceBoth = (ms: number): void => {
    serverClock.advance(ms);
    sdkNow += ms;
  };

  const unify = (handset: Handset, n: number) =>
    handset.v3.v3UnifyRequest({ possessionType: 'none', clientRequestId: `tok-${n}`, phoneNumber: '2001004018' });

  const tokenCalls = (log: LoggedExchange[]): number => log.filter((e) => e.path === '/token').length;

  it('fetches one token for many API calls, sequential and concurrent', async () => {
    const log: LoggedExchange[] = [];
    const handset = client(log);
    const concurrent = await Promise.all(Array.from({ length: 10 }, (_, i) => unify(handset, i)));
    for (const res of concurrent) assert.equal(res.v3UnifyResponse.success, 'pending');
    for (let i = 0; i < 5; i += 1) {
      await handset.v3.v3UnifyStatusRequest({ correlationId: concurrent[i]!.v3UnifyResponse.correlationId });
    }
    assert.equal(tokenCalls(log), 1);
    assert.equal(log.length, 16);
    assert.ok(log.every((e) => e.status === 200));
    assert.equal(log[0]?.path, '/token', 'the token is fetched before the first API call');
  });

  it('keeps the token until 60 s before expiry, then fetches a new one', async () => {
    const log: LoggedExchange[] = [];
    const handset = client(log);
    await unify(handset, 1);
    advanceBoth(HOUR - SKEW - 1);
    await unify(handset, 2);
    assert.equal(tokenCalls(log), 1, 'still fresh 60.001 s before expiry');
    advanceBoth(1);
    await unify(handset, 3);
    assert.deepEqual(summary(log), ['/token 200', '/v3/unify 200', '/v3/unify 200', '/token 200', '/v3/unify 200']);
  });

  it('drops a token the server refuses with 401, fetches a new one and retries the call once', async () => {
    const log: LoggedExchange[] = [];
    const handset = client(log);
    await unify(handset, 1);
    // The server's clock runs past the token's expiry while the SDK's does not (clock skew): the
    // SDK still trusts its cached token and the real server refuses it.
    serverClock.advance(HOUR);
    const res = await unify(handset, 2);
    assert.equal(res.v3UnifyResponse.success, 'pending');
    assert.deepEqual(summary(log), ['/token 200', '/v3/unify 200', '/v3/unify 401', '/token 200', '/v3/unify 200']);
    sdkNow = serverClock.now();
  });

  it('refreshes once when many concurrent calls get a 401', async () => {
    const log: LoggedExchange[] = [];
    const handset = client(log);
    await unify(handset, 0);
    serverClock.advance(HOUR);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => unify(handset, i + 1)));
    assert.equal(results.length, 6);
    assert.equal(tokenCalls(log), 2);
    assert.equal(log.filter((e) => e.status === 401).length, 6);
    assert.equal(log.filter((e) => e.path === '/v3/unify' && e.status === 200).length, 7);
    sdkNow = serverClock.now();
  });

  it('reports wrong client credentials as UnauthorizedError from the token endpoint, without the secret', async () => {
    const secret = 'wrong-secret-Qx81';
    const log: LoggedExchange[] = [];
    const err = await client(log, { clientSecret: secret })
      .v3.v3UnifyRequest({ possessionType: 'none', clientRequestId: 'bad', phoneNumber: '2001004018' })
      .then(() => assert.fail('expected an error'), (e: unknown) => e);
    assert.ok(err instanceof UnauthorizedError);
    assert.equal(err.kind, 'unauthorized');
    assert.equal(err.status, 401);
    assert.equal(err.code, 8002);
    assert.equal(err.operation, 'token');
    assert.equal(typeof err.message, 'string');
    for (const text of [err.message, String(err), inspect(err, { depth: 5 }), JSON.stringify(err.body)]) {
      assert.ok(!text.includes(secret), 'the secret never appears in the error');
    }
    assert.deepEqual(summary(log), ['/token 401'], 'no API call is attempted without a token');
  });

  it('v3TokenRequest returns a Prove-style wrapper and leaves the cache alone', async () => {
    const log: LoggedExchange[] = [];
    const handset = client(log);
    const res = await handset.v3.v3TokenRequest();
    assert.equal(res.httpMeta.response.status, 200);
    assert.equal(res.v3TokenResponse.tokenType, 'Bearer');
    assert.equal(res.v3TokenResponse.expiresIn, 3600);
    assert.ok(res.v3TokenResponse.accessToken.length > 20);
    await unify(handset, 1);
    assert.equal(tokenCalls(log), 2, 'API calls use their own cached token');

    const other = await server.createClient('other');
    const otherRes = await handset.v3.v3TokenRequest({
      clientId: other.clientId,
      clientSecret: other.clientSecret,
      grantType: 'client_credentials',
    });
    assert.notEqual(otherRes.v3TokenResponse.accessToken, res.v3TokenResponse.accessToken);

    await assert.rejects(handset.v3.v3TokenRequest({ clientSecret: 'nope' }), { name: 'UnauthorizedError', code: 8002 });
    await assert.rejects(handset.v3.v3TokenRequest({ grantType: 'password' }), { name: 'BadRequestError', code: 8001 });
  });
});
