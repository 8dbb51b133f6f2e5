/**
 * @module signatures
 * Prove Key signature checks: ECDSA P-256 over SHA-256, DER-encoded, standard base64, against the
 * PEM public key the browser registered (client-protocol.md §4.1, §4.3, §4.5).
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/** Parses a registered public key; null unless it is an EC P-256 SPKI PEM. */
export function parseDevicePublicKey(pem: string): KeyObject | null {
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return null;
    return key;
  } catch {
    return null;
  }
}

/** True when `signatureB64` (DER, base64) signs the UTF-8 `message` under `publicKey`. */
export function verifyDeviceSignature(publicKey: KeyObject | string, message: string, signatureB64: string): boolean {
  const key = typeof publicKey === 'string' ? parseDevicePublicKey(publicKey) : publicKey;
  if (!key || !/^[A-Za-z0-9+/]+={0,2}$/.test(signatureB64)) return false;
  try {
    return verify('sha256', Buffer.from(message, 'utf8'), { key, dsaEncoding: 'der' }, Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}
