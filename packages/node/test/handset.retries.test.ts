/**
 * @module handset.retries.test
 * Retries over a real socket against the local fake server (the real server cannot be made to
 * answer 429 or 5xx on demand): which answers are retried, how long the SDK waits (recorded
 * through an injected `sleep` that advances an injected clock, so nothing depends on timing), the
 * retry budget, and the typed errors when retries are off or spent.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  BadRequestError,
  ErrorCode,
  Handset,
  NetworkError,
  RateLimitedError,
  ServerError,
  TimeoutError,
  type HandsetOptions,
} from '../src/index.ts';
import { startFakeHandset, type FakeHandset, type FakeReply } from './support/fake-handset.ts';

const START = Date.parse('2030-01-01T00:00:00Z');
const UNIFY = { possessionType: 'none', clientRequestId: 'r-1', phoneNumber: '2001004018' } as const;
const RATE_LIMITED = { code: 8012, message: 'too many requests' };
const INTERNAL = { code: 8000, message: 'internal error' };

describe('retries (fake server)', () => {
  let fake: FakeHandset;
  let clock: number;
  let waits: number[];

  before(async () => {
    fake = await startFakeHandset();
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.reset();
    clock = START;
    waits = [];
  });

  /** A client whose waits are recorded and advance the clock instead of sleeping. */
  const client = (extra: Partial<HandsetOptions> = {}): Handset =>
    new Handset({
      serverURL: fake.url,
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
      ...extra,
    });

  /** Answers `replies[n]` for the n-th request to `path`, then the default. */
  const script = (path: string, replies: FakeReply[]): void => {
    let n = 0;
    fake.handler = (req) => (req.path === path ? replies[n++] : undefined);
  };

  it('retries a 429 after Retry-After seconds when backoff is on', async () => {
    script('/v3/unify', [{ status: 429, headers: { 'retry-after': '2' }, body: RATE_LIMITED }]);
    const res = await client({ retry: { strategy: 'backoff' } }).v3.v3UnifyRequest(UNIFY);
    assert.equal(res.v3UnifyResponse.success, 'pending');
    assert.deepEqual(waits, [2000]);
    assert.equal(fake.requestsTo('/v3/unify').length, 2);
    assert.equal(fake.requestsTo('/token').length, 1, 'the token is reused across the retry');
  });

  it('retries a 429 after a Retry-After HTTP date, measured with the injected clock', async () => {
    const at = new Date(START + 3000).toUTCString();
    script('/v3/unify-status', [{ status: 429, headers: { 'retry-after': at }, body: RATE_LIMITED }]);
    const res = await client({ retry: { strategy: 'backoff' } }).v3.v3UnifyStatusRequest({ correlationId: 'c' });
    assert.equal(res.v3UnifyStatusResponse.success, 'possession_required');
    assert.deepEqual(waits, [3000]);
  });

  it('surfaces a 429 as RateLimitedError with retryAfterMs when retries are off', async () => {
    script('/v3/unify', [{ status: 429, headers: { 'retry-after': '2' }, body: RATE_LIMITED }]);
    const err = await client()
      .v3.v3UnifyRequest(UNIFY)
      .then(() => assert.fail('expected an error'), (e: unknown) => e);
    assert.ok(err instanceof RateLimitedError);
    assert.equal(err.kind, 'rate_limited');
    assert.equal(err.name, 'RateLimitedError');
    assert.equal(err.status, 429);
    assert.equal(err.code, ErrorCode.RATE_LIMITED);
    assert.equal(err.message, 'too many requests');
    assert.equal(err.retryAfterMs, 2000);
    assert.equal(err.operation, 'v3UnifyRequest');
    assert.deepEqual(err.body, RATE_LIMITED);
    assert.deepEqual(waits, []);
    assert.equal(fake.requestsTo('/v3/unify').length, 1);
  });

  it('uses the per-call retries option over the instance policy', async () => {
    script('/v3/unify', [{ status: 429, headers: { 'retry-after': '1' }, body: RATE_LIMITED }]);
    const res = await client().v3.v3UnifyRequest(UNIFY, { retries: { strategy: 'backoff' } });
    assert.equal(res.v3UnifyResponse.success, 'pending');
    assert.deepEqual(waits, [1000]);

    fake.handler = () => ({ status: 429, headers: { 'retry-after': '1' }, body: RATE_LIMITED });
    await assert.rejects(
      client({ retry: { strategy: 'backoff' } }).v3.v3UnifyRequest(UNIFY, { retries: { strategy: 'none' } }),
      RateLimitedError,
    );
  });

  it('retries a 500 with exponential backoff when there is no Retry-After', async () => {
    script('/v3/unify-bind', [
      { status: 500, body: INTERNAL },
      { status: 500, body: INTERNAL },
    ]);
    const res = await client({
      retry: { strategy: 'backoff', backoff: { initialInterval: 100, exponent: 2, maxInterval: 1000 } },
    }).v3.v3UnifyBindRequest({ correlationId: 'c', phoneNumber: '2001004018' });
    assert.equal(res.v3UnifyBindResponse.success, 'true');
    assert.equal(waits.length, 2);
    assert.ok(waits[0]! >= 75 && waits[0]! <= 100, `first wait ${waits[0]}`);
    assert.ok(waits[1]! >= 150 && waits[1]! <= 200, `second wait ${waits[1]}`);
  });

  it('surfaces a 500 as ServerError with code 8000 when retries are off', async () => {
    script('/v3/unify', [{ status: 500, body: INTERNAL }]);
    await assert.rejects(client().v3.v3UnifyRequest(UNIFY), (err: unknown) => {
      assert.ok(err instanceof ServerError);
      assert.equal(err.kind, 'server');
      assert.equal(err.status, 500);
      assert.equal(err.code, ErrorCode.INTERNAL);
      assert.equal(err.message, 'internal error');
      return true;
    });
    assert.equal(fake.requestsTo('/v3/unify').length, 1);
  });

  it('gives up with the last error once maxElapsedTime is spent', async () => {
    fake.handler = (req) => (req.path === '/v3/unify' ? { status: 503, body: { code: 8013, message: 'unavailable' } } : undefined);
    const handset = client({
      retry: { strategy: 'backoff', backoff: { initialInterval: 100, exponent: 1, maxInterval: 100, maxElapsedTime: 350 } },
    });
    await assert.rejects(handset.v3.v3UnifyRequest(UNIFY), { name: 'ServerError', status: 503, code: ErrorCode.UNAVAILABLE });
    // Each wait is 75–100 ms (jitter); retries stop before the total would pass 350 ms.
    assert.ok(waits.length >= 3 && waits.length <= 4, `waits ${waits.join(',')}`);
    assert.ok(waits.reduce((a, b) => a + b, 0) <= 350);
    assert.equal(fake.requestsTo('/v3/unify').length, waits.length + 1);
  });

  it('does not wait when Retry-After exceeds the retry budget', async () => {
    script('/v3/unify', [{ status: 429, headers: { 'retry-after': '120' }, body: RATE_LIMITED }]);
    const handset = client({ retry: { strategy: 'backoff', backoff: { maxElapsedTime: 60_000 } } });
    await assert.rejects(handset.v3.v3UnifyRequest(UNIFY), { kind: 'rate_limited', retryAfterMs: 120_000 });
    assert.deepEqual(waits, []);
  });

  it('retries 502 and 504 proxy pages and types them as ServerError without a code', async () => {
    script('/v3/unify', [
      { status: 502, headers: { 'content-type': 'text/html' }, raw: '<html>Bad Gateway</html>' },
      { status: 504, raw: '' },
    ]);
    const res = await client({ retry: { strategy: 'backoff', backoff: { initialInterval: 1 } } }).v3.v3UnifyRequest(UNIFY);
    assert.equal(res.v3UnifyResponse.correlationId, 'corr-1');
    assert.equal(waits.length, 2);

    script('/v3/unify', [{ status: 502, headers: { 'content-type': 'text/html' }, raw: '<html>Bad Gateway</html>' }]);
    await assert.rejects(client().v3.v3UnifyRequest(UNIFY), (err: unknown) => {
      assert.ok(err instanceof ServerError);
      assert.equal(err.status, 502);
      assert.equal(err.code, undefined);
      assert.match(err.message, /^v3UnifyRequest: HTTP 502/);
      assert.equal(err.body, '<html>Bad Gateway</html>');
      return true;
    });
  });

  it('never retries a 400, even with backoff on', async () => {
    script('/v3/unify', [{ status: 400, body: { code: 8001, message: "field 'possessionType' is invalid" } }]);
    await assert.rejects(client({ retry: { strategy: 'backoff' } }).v3.v3UnifyRequest(UNIFY), BadRequestError);
    assert.deepEqual(waits, []);
    assert.equal(fake.requestsTo('/v3/unify').length, 1);
  });

  it('retries a failing token fetch under the call policy, and types it as a token error when off', async () => {
    script('/token', [{ status: 503, headers: { 'retry-after': '1' }, body: { code: 8013, message: 'unavailable' } }]);
    const res = await client({ retry: { strategy: 'backoff' } }).v3.v3UnifyRequest(UNIFY);
    assert.equal(res.v3UnifyResponse.success, 'pending');
    assert.deepEqual(waits, [1000]);
    assert.equal(fake.requestsTo('/token').length, 2);

    script('/token', [{ status: 500, body: INTERNAL }]);
    await assert.rejects(client().v3.v3UnifyRequest(UNIFY), { name: 'ServerError', operation: 'token', code: 8000 });
  });

  it('times out a hanging server with TimeoutError and retries it only with retryConnectionErrors', async () => {
    script('/v3/unify', [{ hang: true }]);
    // Per-call timeouts apply to the API attempts only, so the token fetch is not raced.
    const err = await client({ retry: { strategy: 'backoff' } })
      .v3.v3UnifyRequest(UNIFY, { timeoutMs: 500 })
      .then(() => assert.fail('expected a timeout'), (e: unknown) => e);
    assert.ok(err instanceof TimeoutError);
    assert.equal(err.kind, 'timeout');
    assert.equal(err.status, undefined);
    assert.equal(err.operation, 'v3UnifyRequest');
    assert.equal(fake.requestsTo('/v3/unify').length, 1);

    fake.reset();
    script('/v3/unify', [{ hang: true }]);
    const res = await client({ retry: { strategy: 'backoff', retryConnectionErrors: true } }).v3.v3UnifyRequest(UNIFY, {
      timeoutMs: 500,
    });
    assert.equal(res.v3UnifyResponse.success, 'pending');
    assert.equal(fake.requestsTo('/v3/unify').length, 2);
  });

  it('applies the instance timeoutMs to every attempt, the token fetch included', async () => {
    script('/token', [{ hang: true }]);
    await assert.rejects(client({ timeoutMs: 300 }).v3.v3UnifyRequest(UNIFY), { name: 'TimeoutError', operation: 'token' });
  });

  it('types a dropped connection as NetworkError and retries it only with retryConnectionErrors', async () => {
    script('/v3/unify', [{ destroy: true }]);
    await assert.rejects(client({ retry: { strategy: 'backoff' } }).v3.v3UnifyRequest(UNIFY), (err: unknown) => {
      assert.ok(err instanceof NetworkError);
      assert.equal(err.kind, 'network');
      assert.equal(err.status, undefined);
      assert.ok(err.cause !== undefined);
      return true;
    });

    script('/v3/unify', [{ destroy: true }]);
    const res = await client({ retry: { strategy: 'backoff', retryConnectionErrors: true } }).v3.v3UnifyRequest(UNIFY);
    assert.equal(res.v3UnifyResponse.success, 'pending');
  });

  it('types a refused connection as NetworkError', async () => {
    const closed = await startFakeHandset();
    const url = closed.url;
    await closed.close();
    const handset = new Handset({ serverURL: url, clientId: 'id', clientSecret: 'secret' });
    await assert.rejects(handset.v3.v3UnifyRequest(UNIFY), { kind: 'network', operation: 'token', message: /ECONNREFUSED/ });
  });

  it('stops waiting for a retry when the caller aborts, rejecting with the abort reason', async () => {
    const controller = new AbortController();
    fake.handler = (req) => {
      if (req.path !== '/v3/unify') return undefined;
      setImmediate(() => controller.abort(new Error('caller gave up')));
      return { status: 429, headers: { 'retry-after': '30' }, body: RATE_LIMITED };
    };
    // Real sleep here: the abort must cut a real 30 s wait short.
    const handset = new Handset({
      serverURL: fake.url,
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
      retry: { strategy: 'backoff' },
    });
    await assert.rejects(handset.v3.v3UnifyRequest(UNIFY, { signal: controller.signal }), { message: 'caller gave up' });
    assert.equal(fake.requestsTo('/v3/unify').length, 1);
  });

  it('rejects at once with the reason of an already-aborted signal', async () => {
    const reason = new Error('already aborted');
    await assert.rejects(client().v3.v3UnifyRequest(UNIFY, { signal: AbortSignal.abort(reason) }), reason);
    assert.equal(fake.requestsTo('/v3/unify').length, 0);
  });
});
