/**
 * @module device-key
 * The Prove Key's cryptography (`client-protocol.md` §4.1, §4.3): a non-extractable WebCrypto
 * ECDSA P-256 key pair, one-line PEM export of the public key, and DER signatures in standard
 * base64 over the UTF-8 bytes of a message.
 */
import { rawEcdsaToDer } from './der.js';
import { bytesToBase64, bytesToHex, utf8Bytes } from './encoding.js';
import { spkiToPem } from './pem.js';

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

function subtle(): SubtleCrypto {
  const api = globalThis.crypto?.subtle;
  if (!api) throw new Error('WebCrypto is unavailable (the page is not a secure context)');
  return api;
}

/** A new key pair; the private half can sign but never be exported. */
export function generateProveKey(): Promise<CryptoKeyPair> {
  return subtle().generateKey(ECDSA_P256, false, ['sign', 'verify']);
}

/** The public key as a one-line SPKI PEM. */
export async function exportPublicKeyPem(publicKey: CryptoKey): Promise<string> {
  return spkiToPem(new Uint8Array(await subtle().exportKey('spki', publicKey)));
}

/** ECDSA P-256 / SHA-256 signature of the UTF-8 bytes of `message`, as base64 DER. */
export async function signMessage(privateKey: CryptoKey, message: string): Promise<string> {
  const raw = new Uint8Array(await subtle().sign(ECDSA_SHA256, privateKey, utf8Bytes(message)));
  return bytesToBase64(rawEcdsaToDer(raw));
}

/** Lowercase hex SHA-256 of the UTF-8 bytes of `text`. */
export async function sha256Hex(text: string): Promise<string> {
  return bytesToHex(new Uint8Array(await subtle().digest('SHA-256', utf8Bytes(text))));
}

/** A lowercase v4 UUID; works outside secure contexts too, where `randomUUID` is missing. */
export function randomUuid(): string {
  const cryptoApi = globalThis.crypto;
  if (typeof cryptoApi.randomUUID === 'function') return cryptoApi.randomUUID();
  const bytes = cryptoApi.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytesToHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
