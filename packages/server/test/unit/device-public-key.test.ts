/**
 * Prove Key public keys: the JWK fast path for the usual P-256 SPKI PEM accepts and rejects what
 * OpenSSL's PEM decoder does (a point off the curve, another curve, another key type, a compressed
 * point, junk), and the bounded cache hands out the key it parsed.
 */
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { devicePublicKey, parseDevicePublicKey, verifyDeviceSignature } from '../../src/device-key/signatures.js';

const pemOf = (der: Buffer, lineLength = 0): string => {
  const b64 = der.toString('base64');
  const body = lineLength > 0 ? b64.match(new RegExp(`.{1,${lineLength}}`, 'g'))!.join('\n') : b64;
  return `-----BEGIN PUBLIC KEY-----\n${body}\n-----END PUBLIC KEY-----`;
};

function p256(): { der: Buffer; pem: string; sign: (m: string) => string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return { der, pem: pemOf(der), sign: (m) => sign('sha256', Buffer.from(m), { key: privateKey, dsaEncoding: 'der' }).toString('base64') };
}

describe('device public keys', () => {
  it('parses a one-line and a wrapped P-256 PEM into the same key as OpenSSL, and a signature verifies', () => {
    const key = p256();
    for (const pem of [key.pem, pemOf(key.der, 64), `${pemOf(key.der, 64)}\n`]) {
      const parsed = parseDevicePublicKey(pem);
      assert.ok(parsed);
      assert.ok(parsed.equals(createPublicKey(pem)));
      assert.equal(parsed.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      assert.equal(verifyDeviceSignature(parsed, 'challenge', key.sign('challenge')), true);
      assert.equal(verifyDeviceSignature(pem, 'challenge', key.sign('challenge')), true);
      assert.equal(verifyDeviceSignature(pem, 'another challenge', key.sign('challenge')), false);
    }
  });

  it('refuses a point that is not on the curve', () => {
    const der = Buffer.from(p256().der);
    der[der.length - 1] ^= 0x01; // flips Y: (X, Y') is off the curve
    assert.equal(parseDevicePublicKey(pemOf(der)), null);
    assert.throws(() => createPublicKey(pemOf(der)), 'OpenSSL refuses it too');
  });

  it('refuses other curves, other key types and junk', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'der', type: 'spki' });
    const ed = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' });
    for (const pem of [pemOf(p384), pemOf(ed), pemOf(rsa), '', 'not a key', pemOf(p256().der.subarray(0, 60))]) {
      assert.equal(parseDevicePublicKey(pem), null, pem.slice(0, 60));
    }
  });

  it('still accepts a P-256 key with a compressed point (the PEM path)', () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const jwk = key.export({ format: 'jwk' });
    const y = Buffer.from(jwk.y!, 'base64url');
    const x = Buffer.from(jwk.x!, 'base64url');
    const compressed = Buffer.concat([
      Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'),
      Buffer.from([(y[31]! & 1) === 1 ? 0x03 : 0x02]),
      x,
    ]);
    const parsed = parseDevicePublicKey(pemOf(compressed));
    assert.ok(parsed);
    assert.ok(parsed.equals(key));
  });

  it('caches by PEM: the same key object for the same PEM, null for a refused one', () => {
    const key = p256();
    const first = devicePublicKey(key.pem);
    assert.ok(first);
    assert.equal(devicePublicKey(key.pem), first);
    assert.equal(devicePublicKey('not a key'), null);
    assert.equal(devicePublicKey('not a key'), null);
  });
});
