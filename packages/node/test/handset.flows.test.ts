/**
 * @module handset.flows.test
 * The five `v3` operations end to end against a real Handset server, with a stand-in device
 * (`TestDevice`) playing the browser's `device/passive` step over HTTP: customer-supplied
 * possession with a new key (status `possession_required` + 9100, then bind), a key bound to
 * another number (9101, rebind), a silent re-authentication, revocation, an expired session, and
 * the typed errors the real server produces (400, 403, 404).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '@handset/server';
import { startTestServer, type TestServer } from '@handset/server/testing';
import {
  BadRequestError,
  ErrorCode,
  failureReasons,
  ForbiddenError,
  Handset,
  HandsetError,
  isHandsetError,
  NotFoundError,
  type AnyHandsetError,
} from '../src/index.ts';
import { TestDevice } from './support/test-device.ts';

const NUMBER_A = '2001004018';
const NUMBER_B = '2001004014';
const MISMATCH_TEXT = "Phone number doesn't match Prove Key. Rebind required.";

/** The error a promise rejects with, or a failed assertion if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<AnyHandsetError> {
  const err = await promise.then(
    () => assert.fail('expected the call to fail'),
    (e: unknown) => e,
  );
  assert.ok(isHandsetError(err), `expected a HandsetError, got ${String(err)}`);
  return err;
}

describe('v3 flows (real server)', () => {
  let server: TestServer;
  let handset: Handset;
  const clock = new ManualClock();
  const device = new TestDevice();

  before(async () => {
    server = await startTestServer({ overrides: { clock } });
    handset = new Handset({
      serverURL: server.url,
      clientId: server.clientId,
      clientSecret: server.clientSecret,
      now: () => clock.now(),
    });
  });
  after(() => server.close());

  const start = (phoneNumber: string, clientRequestId: string) =>
    handset.v3.v3UnifyRequest({ possessionType: 'none', clientRequestId, phoneNumber });

  it('customer-supplied possession with a new key: pending, possession_required (9100), bind', async () => {
    const started = await start(NUMBER_A, 'flow-a');
    const { correlationId, authToken } = started.v3UnifyResponse;
    assert.equal(started.v3UnifyResponse.success, 'pending');
    assert.ok(authToken, 'an authToken for the browser SDK');
    assert.equal(started.httpMeta.response.status, 200);

    const before = await handset.v3.v3UnifyStatusRequest({ correlationId });
    assert.equal(before.v3UnifyStatusResponse.success, 'pending');
    assert.equal(before.v3UnifyStatusResponse.evaluation, undefined);

    const step = await device.passiveStep(authToken);
    assert.equal(step.next, 'done');
    assert.ok(device.deviceId);

    const status = await handset.v3.v3UnifyStatusRequest({ correlationId, clientRequestId: 'flow-a-status' });
    const result = status.v3UnifyStatusResponse;
    assert.equal(result.success, 'possession_required');
    assert.equal(result.clientRequestId, 'flow-a-status');
    assert.equal(result.deviceId, undefined, 'no deviceId before the bind');
    assert.deepEqual(result.evaluation?.authentication?.result, 'fail');
    assert.deepEqual(failureReasons(result.evaluation).map((r) => [r.category, r.code]), [['authentication', '9100']]);

    const bound = await handset.v3.v3UnifyBindRequest({ correlationId, phoneNumber: NUMBER_A });
    assert.equal(bound.v3UnifyBindResponse.success, 'true');
    assert.equal(bound.v3UnifyBindResponse.deviceId, device.deviceId);
    assert.ok(bound.v3UnifyBindResponse.proveId);
    assert.deepEqual(bound.v3UnifyBindResponse.evaluation, { authentication: { result: 'pass' } });
    assert.deepEqual(failureReasons(bound.v3UnifyBindResponse.evaluation), []);

    const after = await handset.v3.v3UnifyStatusRequest({ correlationId });
    assert.equal(after.v3UnifyStatusResponse.success, 'true');
    assert.equal(after.v3UnifyStatusResponse.deviceId, device.deviceId);

    const again = await rejection(handset.v3.v3UnifyBindRequest({ correlationId, phoneNumber: NUMBER_A }));
    assert.ok(again instanceof ForbiddenError);
    assert.equal(again.kind, 'forbidden');
    assert.equal(again.status, 403);
    assert.equal(again.code, ErrorCode.STEP_NOT_ALLOWED);
  });

  it('exposes the full evaluation when the key is bound to another number (9101), then rebinds', async () => {
    const started = await start(NUMBER_B, 'flow-b');
    const { correlationId, authToken } = started.v3UnifyResponse;
    assert.ok(authToken);
    const step = await device.passiveStep(authToken);
    assert.equal(step.error, undefined);

    const status = (await handset.v3.v3UnifyStatusRequest({ correlationId })).v3UnifyStatusResponse;
    assert.equal(status.success, 'possession_required');
    assert.deepEqual(status.evaluation, {
      authentication: { result: 'fail', failureReasons: { '9101': MISMATCH_TEXT } },
    });
    assert.deepEqual(failureReasons(status.evaluation), [
      { category: 'authentication', code: '9101', description: MISMATCH_TEXT },
    ]);

    const rebound = (await handset.v3.v3UnifyBindRequest({ correlationId, phoneNumber: NUMBER_B })).v3UnifyBindResponse;
    assert.equal(rebound.success, 'true');
    assert.equal(rebound.deviceId, device.deviceId);
  });

  it('re-authenticates silently with a key bound to the number', async () => {
    const started = await start(NUMBER_B, 'flow-c');
    const step = await device.passiveStep(started.v3UnifyResponse.authToken ?? '');
    assert.deepEqual([step.next, step.error], ['done', undefined]);
    const status = (await handset.v3.v3UnifyStatusRequest({ correlationId: started.v3UnifyResponse.correlationId }))
      .v3UnifyStatusResponse;
    assert.equal(status.success, 'true');
    assert.equal(status.deviceId, device.deviceId);
    assert.ok(status.proveId);
    assert.equal(status.evaluation?.authentication?.result, 'pass');
  });

  it('revokes the key; the device can then no longer prove possession with it', async () => {
    const deviceId = device.deviceId ?? assert.fail('the device has no id');
    const revoked = await handset.v3.v3DeviceRevokeRequest({ clientRequestId: 'rev-1', deviceId });
    assert.equal(revoked.v3DeviceRevokeResponse.success, true);
    assert.equal(revoked.httpMeta.response.status, 200);

    const started = await start(NUMBER_B, 'flow-revoked');
    const step = await device.passiveStep(started.v3UnifyResponse.authToken ?? '');
    assert.equal(step.error?.code, 10006, 'the browser is told to wipe its key');
    const status = (await handset.v3.v3UnifyStatusRequest({ correlationId: started.v3UnifyResponse.correlationId }))
      .v3UnifyStatusResponse;
    assert.equal(status.success, 'possession_required');
    assert.equal(status.deviceId, undefined);
  });

  it('reports an expired session as "false" with reason 9100', async () => {
    const started = await start(NUMBER_A, 'flow-expired');
    clock.advance(15 * 60 * 1000 + 1);
    const status = (await handset.v3.v3UnifyStatusRequest({ correlationId: started.v3UnifyResponse.correlationId }))
      .v3UnifyStatusResponse;
    assert.equal(status.success, 'false');
    assert.deepEqual(failureReasons(status.evaluation).map((r) => r.code), ['9100']);
  });
});

describe('typed errors (real server)', () => {
  let server: TestServer;
  let handset: Handset;

  before(async () => {
    server = await startTestServer();
    handset = new Handset({ serverURL: server.url, clientId: server.clientId, clientSecret: server.clientSecret });
  });
  after(() => server.close());

  it('400 for an invalid field: BadRequestError 8001 naming the field', async () => {
    const err = await rejection(
      handset.v3.v3UnifyRequest({ possessionType: 'tablet' as never, clientRequestId: 'e-1', phoneNumber: NUMBER_A }),
    );
    assert.ok(err instanceof BadRequestError);
    assert.ok(err instanceof HandsetError);
    assert.equal(err.kind, 'bad_request');
    assert.equal(err.name, 'BadRequestError');
    assert.equal(err.status, 400);
    assert.equal(err.code, ErrorCode.MALFORMED_REQUEST);
    assert.match(err.message, /possessionType/);
    assert.deepEqual(err.body, { code: 8001, message: err.message });
    assert.match(String(err), /^BadRequestError: /);
  });

  it('400 for a phone number that cannot be one', async () => {
    const err = await rejection(handset.v3.v3UnifyRequest({ possessionType: 'none', clientRequestId: 'e-2', phoneNumber: '12' }));
    assert.equal(err.kind, 'bad_request');
    assert.equal(err.code, ErrorCode.MALFORMED_REQUEST);
    assert.match(err.message, /phoneNumber/);
  });

  it('400 for an unknown correlationId: code 8008', async () => {
    const err = await rejection(handset.v3.v3UnifyStatusRequest({ correlationId: 'no-such-session' }));
    assert.equal(err.kind, 'bad_request');
    assert.equal(err.status, 400);
    assert.equal(err.code, ErrorCode.INVALID_CORRELATION_ID);
  });

  it('403 for a step out of order: ForbiddenError 8003', async () => {
    const started = await handset.v3.v3UnifyRequest({ possessionType: 'none', clientRequestId: 'e-3', phoneNumber: NUMBER_A });
    const err = await rejection(
      handset.v3.v3UnifyBindRequest({ correlationId: started.v3UnifyResponse.correlationId, phoneNumber: NUMBER_A }),
    );
    assert.ok(err instanceof ForbiddenError);
    assert.equal(err.status, 403);
    assert.equal(err.code, ErrorCode.STEP_NOT_ALLOWED);
    assert.equal(err.operation, 'v3UnifyBindRequest');
  });

  it('404 for an unknown device: NotFoundError 8011', async () => {
    const err = await rejection(handset.v3.v3DeviceRevokeRequest({ clientRequestId: 'e-4', deviceId: 'no-such-device' }));
    assert.ok(err instanceof NotFoundError);
    assert.equal(err.code, ErrorCode.NOT_FOUND);
  });

  it('lets callers switch on kind with narrowing', async () => {
    const err = await rejection(handset.v3.v3UnifyStatusRequest({ correlationId: 'nope' }));
    const handled = ((): string => {
      switch (err.kind) {
        case 'bad_request':
          return `retry with a new session (${err.code})`;
        case 'rate_limited':
          return `wait ${err.retryAfterMs ?? 0} ms`;
        default:
          return 'rethrow';
      }
    })();
    assert.equal(handled, 'retry with a new session (8008)');
  });
});
