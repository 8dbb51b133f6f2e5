/**
 * @module signatures
 * Prove Key signature checks: ECDSA P-256 over SHA-256, DER-encoded, standard base64, against the
 * PEM public key the browser registered (client-protocol.md §4.1, §4.3, §4.5).
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * The DER prefix of every P-256 SubjectPublicKeyInfo with an uncompressed point: SEQUENCE {
 * SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING { 0x04 … } }; the 64 bytes of X and Y follow.
 */
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200' + '04', 'hex');
const P256_SPKI_LENGTH = P256_SPKI_PREFIX.length + 64;
const ONE_KEY_PEM = /^-----BEGIN PUBLIC KEY-----\r?\n?([A-Za-z0-9+/\r\n]+={0,2})\r?\n?-----END PUBLIC KEY-----\r?\n?$/;

/**
 * The key as a JWK when the PEM is exactly one P-256 SPKI with an uncompressed point (what every
 * browser exports), else null. OpenSSL 3 decodes a PEM through its generic decoder chain, which
 * costs about twice a JWK import of the same point (measured in bench/README.md, item 3); the JWK
 * import still checks that the point is on the curve. Anything else takes the PEM path.
 */
function p256Jwk(pem: string): { kty: 'EC'; crv: 'P-256'; x: string; y: string } | null {
  const body = ONE_KEY_PEM.exec(pem)?.[1];
  if (!body) return null;
  const der = Buffer.from(body, 'base64');
  if (der.length !== P256_SPKI_LENGTH || !der.subarray(0, P256_SPKI_PREFIX.length).equals(P256_SPKI_PREFIX)) return null;
  const x = der.subarray(P256_SPKI_PREFIX.length, P256_SPKI_PREFIX.length + 32);
  const y = der.subarray(P256_SPKI_PREFIX.length + 32);
  return { kty: 'EC', crv: 'P-256', x: x.toString('base64url'), y: y.toString('base64url') };
}

/** Parses a registered public key; null unless it is an EC P-256 SPKI PEM. */
export function parseDevicePublicKey(pem: string): KeyObject | null {
  try {
    const jwk = p256Jwk(pem);
    if (jwk) return createPublicKey({ key: jwk, format: 'jwk' });
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return null;
    return key;
  } catch {
    return null;
  }
}

/** Keys parsed from registered PEMs, most recently used last; bounded (see {@link devicePublicKey}). */
const parsed = new Map<string, KeyObject | null>();
const MAX_PARSED_KEYS = 10_000;

/**
 * {@link parseDevicePublicKey} with a bounded cache by PEM: a device signs again and again with one
 * key (verifications, signed requests), and parsing costs more than verifying. A Map in insertion
 * order is the LRU (re-inserted on use, the oldest evicted): a dozen lines, no dependency needed.
 * ~10,000 keys cost a few MB at most.
 */
export function devicePublicKey(pem: string): KeyObject | null {
  const hit = parsed.get(pem);
  if (hit !== undefined) {
    parsed.delete(pem);
    parsed.set(pem, hit);
    return hit;
  }
  const key = parseDevicePublicKey(pem);
  parsed.set(pem, key);
  if (parsed.size > MAX_PARSED_KEYS) parsed.delete(parsed.keys().next().value!);
  return key;
}

/** True when `signatureB64` (DER, base64) signs the UTF-8 `message` under `publicKey`. */
export function verifyDeviceSignature(publicKey: KeyObject | string, message: string, signatureB64: string): boolean {
  const key = typeof publicKey === 'string' ? devicePublicKey(publicKey) : publicKey;
  if (!key || !/^[A-Za-z0-9+/]+={0,2}$/.test(signatureB64)) return false;
  try {
    return verify('sha256', Buffer.from(message, 'utf8'), { key, dsaEncoding: 'der' }, Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}
