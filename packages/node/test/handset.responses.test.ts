/**
 * @module handset.responses.test
 * How the SDK reads answers the real server never gives (so they come from the local fake, over a
 * real socket): unknown fields and whole evaluations are passed through; bodies that break the
 * protocol are `InvalidResponseError`; odd statuses are `HttpError`; redirects are not followed;
 * token replies are checked and short-lived tokens are not cached; a token refused twice is
 * `UnauthorizedError`; and no error ever carries the secret or a token.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { inspect } from 'node:util';
import {
  failureReasons,
  Handset,
  HttpError,
  InvalidResponseError,
  TimeoutError,
  UnauthorizedError,
  type HandsetOptions,
} from '../src/index.ts';
import { startFakeHandset, type FakeHandset, type FakeReply } from './support/fake-handset.ts';

const UNIFY = { possessionType: 'mobile', clientRequestId: 'r-1', phoneNumber: '2001004017' } as const;

describe('reading responses (fake server)', () => {
  let fake: FakeHandset;
  before(async () => {
    fake = await startFakeHandset();
  });
  after(() => fake.close());
  beforeEach(() => fake.reset());

  const client = (extra: Partial<HandsetOptions> = {}): Handset =>
    new Handset({ serverURL: fake.url, clientId: fake.clientId, clientSecret: fake.clientSecret, ...extra });

  /** Answers every request to `path` with `reply`. */
  const answer = (path: string, reply: FakeReply): void => {
    fake.handler = (req) => (req.path === path ? reply : undefined);
  };

  const rejection = async (promise: Promise<unknown>): Promise<unknown> =>
    promise.then(
      () => assert.fail('expected the call to fail'),
      (e: unknown) => e,
    );

  it('passes the whole evaluation and unknown fields through', async () => {
    const evaluation = {
      authentication: { result: 'fail', failureReasons: { '9101': 'mismatch', '9135': 'SIM swap' } },
      risk: { result: 'pass' },
    };
    answer('/v3/unify-status', { status: 200, body: { success: 'false', evaluation, futureField: { x: 1 } } });
    const res = await client().v3.v3UnifyStatusRequest({ correlationId: 'c' });
    assert.deepEqual(res.v3UnifyStatusResponse, { success: 'false', evaluation, futureField: { x: 1 } });
    assert.deepEqual(failureReasons(res.v3UnifyStatusResponse.evaluation), [
      { category: 'authentication', code: '9101', description: 'mismatch' },
      { category: 'authentication', code: '9135', description: 'SIM swap' },
    ]);
    assert.deepEqual(failureReasons(undefined), []);
  });

  it('exposes the Prove-style wrappers of every method', async () => {
    const handset = client();
    const unify = await handset.v3.v3UnifyRequest(UNIFY);
    assert.equal(unify.v3UnifyResponse?.authToken, 'a.b.c');
    const status = await handset.v3.v3UnifyStatusRequest({ correlationId: 'corr-1' });
    assert.equal(status.v3UnifyStatusResponse?.success, 'possession_required');
    const bind = await handset.v3.v3UnifyBindRequest({ correlationId: 'corr-1', phoneNumber: '2001004018' });
    assert.equal(bind.v3UnifyBindResponse?.deviceId, 'dev-1');
    const revoke = await handset.v3.v3DeviceRevokeRequest({ clientRequestId: 'r', deviceId: 'dev-1' });
    assert.equal(revoke.v3DeviceRevokeResponse?.success, true);
    const token = await handset.v3.v3TokenRequest();
    assert.equal(token.v3TokenResponse?.tokenType, 'Bearer');
  });

  it('rejects 200 bodies that break the protocol with InvalidResponseError', async () => {
    const cases: Array<[string, FakeReply, RegExp]> = [
      ['/v3/unify', { status: 200, headers: { 'content-type': 'text/plain' }, raw: 'ok' }, /expected a JSON response/],
      ['/v3/unify', { status: 200, headers: { 'content-type': 'application/json' }, raw: '{"success":' }, /not valid JSON/],
      ['/v3/unify', { status: 200, body: { success: true, correlationId: 'c' } }, /success is not one of/],
      ['/v3/unify', { status: 200, body: { success: 'pending' } }, /correlationId is missing/],
      ['/v3/unify', { status: 200, body: { success: 'pending', correlationId: 'c', authToken: null } }, /authToken/],
      ['/v3/unify', { status: 200, body: ['pending'] }, /not a JSON object/],
      ['/v3/unify-status', { status: 200, body: { success: 'maybe' } }, /success is not one of/],
      ['/v3/unify-status', { status: 200, body: { success: 'true', evaluation: { success: true } } }, /evaluation/],
      ['/v3/unify-status', { status: 200, body: { success: 'true', evaluation: '{}' } }, /evaluation/],
      ['/v3/unify-bind', { status: 200, body: { success: 'true', evaluation: { key: '{}' } } }, /evaluation/],
      ['/v3/device/revoke', { status: 200, body: { success: 'true' } }, /boolean/],
      ['/v3/unify', { status: 201, body: { success: 'pending', correlationId: 'c' } }, /HTTP 201/],
    ];
    const handset = client();
    const calls: Record<string, () => Promise<unknown>> = {
      '/v3/unify': () => handset.v3.v3UnifyRequest(UNIFY),
      '/v3/unify-status': () => handset.v3.v3UnifyStatusRequest({ correlationId: 'c' }),
      '/v3/unify-bind': () => handset.v3.v3UnifyBindRequest({ correlationId: 'c', phoneNumber: '2001004018' }),
      '/v3/device/revoke': () => handset.v3.v3DeviceRevokeRequest({ clientRequestId: 'r', deviceId: 'd' }),
    };
    for (const [path, reply, message] of cases) {
      answer(path, reply);
      const err = await rejection(calls[path]!());
      assert.ok(err instanceof InvalidResponseError, `${path} ${JSON.stringify(reply)}: ${String(err)}`);
      assert.equal(err.kind, 'invalid_response');
      assert.match(err.message, message);
    }
  });

  it('types other statuses as HttpError and never follows a redirect', async () => {
    answer('/v3/unify', { status: 405, body: { code: 8001, message: 'method not allowed' } });
    const err = await rejection(client().v3.v3UnifyRequest(UNIFY));
    assert.ok(err instanceof HttpError);
    assert.deepEqual([err.kind, err.status, err.code, err.message], ['http', 405, 8001, 'method not allowed']);

    fake.reset();
    answer('/v3/unify', { status: 307, headers: { location: `${fake.url}/elsewhere` } });
    const redirect = await rejection(client().v3.v3UnifyRequest(UNIFY));
    assert.ok(redirect instanceof HttpError);
    assert.equal(redirect.status, 307);
    assert.deepEqual(
      fake.requests.map((r) => r.path),
      ['/token', '/v3/unify'],
      'the Bearer token is not sent on to the redirect target',
    );
  });

  it('times out a response whose body stalls', async () => {
    answer('/v3/unify', { status: 200, body: { success: 'pending', correlationId: 'c' }, stall: true });
    const err = await rejection(client().v3.v3UnifyRequest(UNIFY, { timeoutMs: 500 }));
    assert.ok(err instanceof TimeoutError);
  });

  it('checks token replies without copying them into errors', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ token_type: 'Bearer', expires_in: 3600 }, /access_token is missing/],
      [{ access_token: 'tok-SENSITIVE', token_type: 'mac', expires_in: 3600 }, /token_type/],
      [{ access_token: 'tok-SENSITIVE', token_type: 'Bearer', expires_in: '3600' }, /expires_in/],
      ['tok-SENSITIVE', /not a JSON object/],
    ];
    for (const [body, message] of cases) {
      answer('/token', { status: 200, body });
      const err = await rejection(client().v3.v3UnifyRequest(UNIFY));
      assert.ok(err instanceof InvalidResponseError);
      assert.equal(err.operation, 'token');
      assert.match(err.message, message);
      assert.equal(err.body, undefined);
      assert.ok(!inspect(err, { depth: 5 }).includes('tok-SENSITIVE'));
    }
  });

  it('accepts a lowercase bearer token_type and sends the token back as Bearer', async () => {
    fake.handler = (req) => {
      if (req.path === '/token') return { status: 200, body: { access_token: 'lower-tok', token_type: 'bearer', expires_in: 3600 } };
      if (req.path === '/v3/unify') return { status: 200, body: { success: 'pending', correlationId: 'c' } };
      return undefined;
    };
    const res = await client().v3.v3UnifyRequest(UNIFY);
    assert.equal(res.v3UnifyResponse.success, 'pending');
    assert.equal(fake.requestsTo('/v3/unify')[0]?.headers.authorization, 'Bearer lower-tok');
  });

  it('reuses only tokens that live more than 60 s', async () => {
    for (const [expiresIn, tokenCalls] of [
      [30, 2],
      [60, 2],
      [undefined, 2],
      [0, 2],
      [61, 1],
    ] as const) {
      fake.reset();
      let issued = 0;
      fake.handler = (req) => {
        if (req.path === '/token') {
          issued += 1;
          const lifetime = expiresIn === undefined ? {} : { expires_in: expiresIn };
          return { status: 200, body: { access_token: `short-${issued}`, token_type: 'Bearer', ...lifetime } };
        }
        if (req.path === '/v3/unify') return { status: 200, body: { success: 'pending', correlationId: 'c' } };
        return undefined;
      };
      const handset = client();
      await handset.v3.v3UnifyRequest(UNIFY);
      await handset.v3.v3UnifyRequest(UNIFY);
      assert.equal(fake.requestsTo('/token').length, tokenCalls, `expires_in ${String(expiresIn)}`);
    }
  });

  it('throws UnauthorizedError when the fresh token is refused too, after exactly one retry', async () => {
    answer('/v3/unify', { status: 401, body: { code: 8002, message: 'not authorized' } });
    const err = await rejection(client({ retry: { strategy: 'backoff' } }).v3.v3UnifyRequest(UNIFY));
    assert.ok(err instanceof UnauthorizedError);
    assert.deepEqual([err.status, err.code, err.operation], [401, 8002, 'v3UnifyRequest']);
    assert.deepEqual(
      fake.requests.map((r) => r.path),
      ['/token', '/v3/unify', '/token', '/v3/unify'],
    );
    const shown = [err.message, String(err), inspect(err, { depth: 5 }), JSON.stringify(err), String(err.stack)].join('\n');
    assert.ok(!shown.includes(fake.clientSecret), 'no secret in the error');
    for (const token of fake.tokens) assert.ok(!shown.includes(token), 'no token in the error');
  });

  it('shares one failing token fetch among concurrent calls, and tries again on the next call', async () => {
    let failed = false;
    fake.handler = (req) => {
      if (req.path !== '/token' || failed) return undefined;
      failed = true;
      return { status: 500, body: { code: 8000, message: 'internal error' } };
    };
    const handset = client();
    const results = await Promise.allSettled([1, 2, 3].map(() => handset.v3.v3UnifyRequest(UNIFY)));
    for (const result of results) {
      assert.equal(result.status, 'rejected');
      assert.deepEqual(
        result.status === 'rejected' ? [result.reason.name, result.reason.operation] : [],
        ['ServerError', 'token'],
      );
    }
    assert.equal(fake.requestsTo('/token').length, 1);
    const res = await handset.v3.v3UnifyRequest(UNIFY);
    assert.equal(res.v3UnifyResponse.success, 'pending');
    assert.equal(fake.requestsTo('/token').length, 2);
  });

  it('recovers from a 401 after the server forgot its tokens', async () => {
    const handset = client();
    await handset.v3.v3UnifyRequest(UNIFY);
    fake.revokeAllTokens();
    const res = await handset.v3.v3UnifyRequest(UNIFY);
    assert.equal(res.v3UnifyResponse.success, 'pending');
    assert.equal(fake.requestsTo('/token').length, 2);
  });
});
