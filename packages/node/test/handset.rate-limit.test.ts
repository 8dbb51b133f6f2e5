/**
 * @module handset.rate-limit.test
 * HTTP 429 from the real server: a test server allowing 1 request per second per client, with a
 * frozen `ManualClock`, rate-limits the second call of the same second every time (8012 with
 * `Retry-After: 1`). With retries off the SDK throws `RateLimitedError`; with backoff on it waits
 * the `Retry-After` — through an injected `sleep` that moves the server's clock instead of
 * sleeping — and the retry lands in the next second's budget.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '@handset/server';
import { startTestServer, type TestServer } from '@handset/server/testing';
import { ErrorCode, Handset, RateLimitedError, type HandsetOptions } from '../src/index.ts';

describe('rate limiting (real server, 1 request/s)', () => {
  let server: TestServer;
  const serverClock = new ManualClock(Date.parse('2030-01-01T00:00:00.000Z'));

  before(async () => {
    server = await startTestServer({ rateLimitPerSecond: 1, overrides: { clock: serverClock } });
  });
  after(() => server.close());

  const client = (extra: Partial<HandsetOptions> = {}): Handset =>
    new Handset({
      serverURL: server.url,
      clientId: server.clientId,
      clientSecret: server.clientSecret,
      now: () => serverClock.now(),
      ...extra,
    });

  const unify = (handset: Handset, id: string) =>
    handset.v3.v3UnifyRequest({ possessionType: 'none', clientRequestId: id, phoneNumber: '2001004018' });

  it('throws RateLimitedError with retryAfterMs when retries are off', async () => {
    serverClock.advance(1000);
    const handset = client();
    await unify(handset, 'rl-1');
    const err = await unify(handset, 'rl-2').then(
      () => assert.fail('expected a 429'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RateLimitedError);
    assert.equal(err.kind, 'rate_limited');
    assert.equal(err.status, 429);
    assert.equal(err.code, ErrorCode.RATE_LIMITED);
    assert.equal(err.retryAfterMs, 1000);
    assert.equal(err.operation, 'v3UnifyRequest');
    assert.ok(err.message.length > 0);
  });

  it('waits Retry-After and retries when backoff is on', async () => {
    serverClock.advance(1000);
    const waits: number[] = [];
    const handset = client({
      retry: { strategy: 'backoff' },
      sleep: async (ms) => {
        waits.push(ms);
        serverClock.advance(ms);
      },
    });
    const first = await unify(handset, 'rl-3');
    const second = await unify(handset, 'rl-4');
    assert.equal(first.v3UnifyResponse.success, 'pending');
    assert.equal(second.v3UnifyResponse.success, 'pending');
    assert.notEqual(first.v3UnifyResponse.correlationId, second.v3UnifyResponse.correlationId);
    assert.deepEqual(waits, [1000]);
  });
});
