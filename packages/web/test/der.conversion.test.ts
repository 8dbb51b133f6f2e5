/**
 * @module der.conversion.test
 * raw r‖s → DER: minimal integers, sign-bit padding, and signatures that Node's DER verifier accepts.
 */
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { test } from 'node:test';
import { rawEcdsaToDer } from '../src/der.ts';
import { exportPublicKeyPem, generateProveKey, signMessage } from '../src/device-key.ts';
import { base64ToBytes } from '../src/encoding.ts';

test('a high bit gets a zero prefix and leading zeros are trimmed', () => {
  const raw = new Uint8Array(64);
  raw[0] = 0x80; // r = 0x80 00…
  raw[63] = 0x05; // s = 5 after 31 leading zeros
  const der = rawEcdsaToDer(raw);
  assert.equal(der[0], 0x30);
  assert.equal(der[1], der.length - 2);
  assert.deepEqual([...der.subarray(2, 5)], [0x02, 33, 0x00]);
  assert.equal(der[5], 0x80);
  assert.deepEqual([...der.subarray(der.length - 3)], [0x02, 1, 0x05]);
});

test('an all-zero integer encodes as a single zero byte', () => {
  const der = rawEcdsaToDer(new Uint8Array(64));
  assert.deepEqual([...der], [0x30, 6, 0x02, 1, 0, 0x02, 1, 0]);
});

test('odd-length or empty input is rejected', () => {
  assert.throws(() => rawEcdsaToDer(new Uint8Array(63)), RangeError);
  assert.throws(() => rawEcdsaToDer(new Uint8Array(0)), RangeError);
});

test('signatures from the Prove Key verify with a standard DER verifier over the UTF-8 message', async () => {
  const keys = await generateProveKey();
  const pem = await exportPublicKeyPem(keys.publicKey);
  const publicKey = createPublicKey(pem);
  for (const message of ['plain challenge', 'device-1:chlg-é✓', '']) {
    const signature = await signMessage(keys.privateKey, message);
    assert.match(signature, /^[A-Za-z0-9+/]+={0,2}$/);
    assert.ok(verify('sha256', Buffer.from(message, 'utf8'), publicKey, base64ToBytes(signature)), message);
    assert.ok(!verify('sha256', Buffer.from(`${message}x`, 'utf8'), publicKey, base64ToBytes(signature)));
  }
});

test('the private key is not extractable', async () => {
  const keys = await generateProveKey();
  assert.equal(keys.privateKey.extractable, false);
  await assert.rejects(crypto.subtle.exportKey('pkcs8', keys.privateKey));
});
