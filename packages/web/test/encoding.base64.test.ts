/**
 * @module encoding.base64.test
 * Standard base64 with padding, URL-safe decoding, hex, and the one-line PEM.
 */
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { base64ToBytes, bytesToBase64, bytesToHex, utf8Bytes } from '../src/encoding.ts';
import { spkiToPem } from '../src/pem.ts';

test('base64 uses the standard alphabet with padding', () => {
  assert.equal(bytesToBase64(new Uint8Array([251, 255])), '+/8=');
  assert.equal(bytesToBase64(new Uint8Array([])), '');
  assert.equal(bytesToBase64(utf8Bytes('hello')), Buffer.from('hello').toString('base64'));
});

test('decoding accepts standard, URL-safe and unpadded input', () => {
  for (const text of ['+/8=', '-_8', '+/8']) assert.deepEqual([...base64ToBytes(text)], [251, 255]);
  const random = crypto.getRandomValues(new Uint8Array(97));
  assert.deepEqual(base64ToBytes(bytesToBase64(random)), random);
});

test('decoding rejects characters outside base64', () => {
  assert.throws(() => base64ToBytes('ab$c'));
});

test('hex is lowercase and zero-padded', () => {
  assert.equal(bytesToHex(new Uint8Array([0, 10, 171, 255])), '000aabff');
});

test('PEM is one base64 line between the markers and parses as SPKI', () => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const pem = spkiToPem(spki);
  const lines = pem.split('\n');
  assert.equal(lines.length, 3);
  assert.equal(lines[0], '-----BEGIN PUBLIC KEY-----');
  assert.equal(lines[2], '-----END PUBLIC KEY-----');
  assert.ok(lines[1]!.length > 64);
  assert.equal(createPublicKey(pem).asymmetricKeyDetails?.namedCurve, 'prime256v1');
});
