/**
 * @module authenticator.validation.test
 * The parts of the public surface that need no network: builder argument checks, the
 * result-type constants, `finishInstantLink` URL rules, and errors for missing devices or tokens.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AuthError,
  AuthenticatorBuilder,
  ErrorCode,
  InstantLinkResultType,
  OtpError,
  OtpFinishResult,
  OtpFinishResultType,
  PhoneValidationError,
} from '../src/index.ts';

test('result types and error codes carry the protocol values', () => {
  assert.deepEqual(OtpFinishResultType, { OnSuccess: 0, OnResendOtp: 1, OnMobileNumberChange: 2 });
  assert.deepEqual(InstantLinkResultType, { OnResend: 0, OnMobileNumberChange: 1 });
  assert.deepEqual(OtpFinishResult.onSuccess('1234'), { resultType: 0, input: { otp: '1234' } });
  assert.deepEqual(OtpFinishResult.onResendOtp(), { resultType: 1 });
  assert.deepEqual(OtpFinishResult.onMobileNumberChange(), { resultType: 2 });
  assert.equal(ErrorCode.ERROR_MAX_ATTEMPTS, 10005);
  assert.equal(ErrorCode.ERROR_NO_DEVICE_FOUND, 10006);
  assert.equal(new OtpError(1, 'Invalid OTP').message, 'Error Code: 1, Invalid OTP');
  assert.equal(new PhoneValidationError().message, 'Error validating phone number');
  assert.equal(new PhoneValidationError().code, 0);
});

test('the builder accepts steps as functions or objects with execute, and rejects anything else', () => {
  const builder = new AuthenticatorBuilder();
  assert.equal(builder.withAuthFinishStep(() => undefined), builder);
  assert.equal(builder.withAuthFinishStep({ execute: () => undefined }), builder);
  for (const bad of [undefined, null, 'verify', {}, { execute: 'x' }]) {
    assert.throws(() => builder.withAuthFinishStep(bad as never), TypeError);
    assert.throws(() => builder.withOtpFallback(bad as never, () => '1'), TypeError);
    assert.throws(() => builder.withOtpFallback(() => null, bad as never), TypeError);
    assert.throws(() => builder.withInstantLinkFallback(bad as never), TypeError);
  }
  assert.throws(() => builder.withInstantLinkFallback(() => null, 'x' as never), TypeError);
  assert.equal(builder.withInstantLinkFallback(() => null), builder);
});

test('role, implementation and storage are checked', () => {
  const builder = new AuthenticatorBuilder();
  assert.equal(builder.withRole('secondary').withRole('primary'), builder);
  assert.equal(builder.withMobileAuthImplementation('pixel').withMobileAuthImplementation('fetch'), builder);
  assert.throws(() => builder.withRole('tertiary' as never), TypeError);
  assert.throws(() => builder.withMobileAuthImplementation('jsonp' as never), TypeError);
  assert.throws(() => builder.withStorage({ getItem: () => null } as never), TypeError);
  assert.throws(() => builder.withStorage(null as never), TypeError);
  assert.equal(builder.withDeviceIpAddress('203.0.113.7').withDeviceIpAddress(null), builder);
});

test('finishInstantLink needs authId and asc=true, then calls the finish step', async () => {
  const seen: string[] = [];
  const authenticator = new AuthenticatorBuilder().withAuthFinishStep({ execute: ({ authId }) => void seen.push(authId) }).build();
  await authenticator.finishInstantLink('https://app.example/done?authId=a-1&asc=true');
  assert.deepEqual(seen, ['a-1']);
  const cases: Array<[string, RegExp]> = [
    ['https://app.example/done?asc=true', /authId is required/],
    ['https://app.example/done?authId=a-1', /asc is required/],
    ['https://app.example/done?authId=a-1&asc=false', /unknown asc status/],
    ['not a url', /Invalid redirectUrl/],
  ];
  for (const [url, message] of cases) {
    await assert.rejects(authenticator.finishInstantLink(url), (error: unknown) => error instanceof AuthError && message.test(error.message));
  }
  assert.deepEqual(seen, ['a-1']);
});

test('authenticate rejects a malformed token and unregisterDevice rejects without a key', async () => {
  const seen: string[] = [];
  const authenticator = new AuthenticatorBuilder().withAuthFinishStep(({ authId }) => void seen.push(authId)).build();
  await assert.rejects(authenticator.authenticate('not.a-token'), /Invalid authToken/);
  await assert.rejects(authenticator.unregisterDevice(), (error: unknown) => error instanceof AuthError && error.code === 10006);
  assert.equal(await authenticator.isDeviceRegistered(), false);
  assert.equal(await authenticator.getDeviceId(), null);
  assert.deepEqual(seen, []);
});

test('withStorage replaces localStorage for the settings', async () => {
  const map = new Map<string, string>([['ProveAuth.DeviceId', 'dev-1']]);
  const authenticator = new AuthenticatorBuilder()
    .withStorage({ getItem: async (key) => map.get(key) ?? null, setItem: (k, v) => map.set(k, v), removeItem: (k) => map.delete(k) })
    .build();
  assert.equal(await authenticator.getDeviceId(), 'dev-1');
  await authenticator.resetDeviceSettings();
  assert.equal(map.size, 0);
  assert.equal(await authenticator.getDeviceId(), null);
});
