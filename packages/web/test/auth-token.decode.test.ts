/**
 * @module auth-token.decode.test
 * The authToken reader: decodes the payload without verifying it and rejects tokens the SDK
 * could not run with, without echoing the token.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeAuthToken } from '../src/auth-token.ts';
import { AuthError } from '../src/errors.ts';

const auth = { id: 'a-1', ans: 'tenant', endp: 'http://127.0.0.1:9', chlg: 'c', next: 'device/passive', subs: {} };
const token = (payload: unknown, encoding: BufferEncoding = 'base64'): string =>
  `eyJhbGciOiJFUzI1NiJ9.${Buffer.from(JSON.stringify(payload)).toString(encoding)}.sig`;

test('claims are decoded from standard or URL-safe base64', () => {
  assert.equal(decodeAuthToken(token({ auth })).auth.id, 'a-1');
  assert.equal(decodeAuthToken(token({ auth: { ...auth, id: 'é>?~' } }, 'base64url')).auth.id, 'é>?~');
});

test('tokens without the claims the SDK needs are rejected with AuthError', () => {
  const bad: unknown[] = [
    '',
    'not-a-jwt',
    'a.%%%.c',
    token(null),
    token({}),
    token({ auth: { ...auth, subs: undefined } }),
    token({ auth: { ...auth, ans: '' } }),
    token({ auth: { ...auth, id: 5 } }),
    token({ auth: { ...auth, endp: undefined } }),
    token({ auth: { ...auth, endp: 'ftp://x' } }),
    42,
  ];
  for (const value of bad) {
    assert.throws(() => decodeAuthToken(value), (error: unknown) => {
      assert.ok(error instanceof AuthError);
      assert.match(error.message, /^Invalid authToken/);
      if (typeof value === 'string' && value.length > 8) assert.ok(!error.message.includes(value));
      return true;
    });
  }
});
