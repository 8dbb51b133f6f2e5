/**
 * @module pem
 * The Prove Key's public key goes on the wire as a one-line PEM (`client-protocol.md` §4.1):
 * SPKI DER in standard base64, not wrapped at 64 characters.
 */
import { bytesToBase64 } from './encoding.js';

/**
 * Wraps SPKI DER bytes as `-----BEGIN PUBLIC KEY-----\n<base64>\n-----END PUBLIC KEY-----`.
 *
 * @example
 * ```ts
 * const spki = new Uint8Array(await crypto.subtle.exportKey('spki', publicKey));
 * spkiToPem(spki); // "-----BEGIN PUBLIC KEY-----\nMFkw…\n-----END PUBLIC KEY-----"
 * ```
 */
export function spkiToPem(spki: Uint8Array): string {
  return `-----BEGIN PUBLIC KEY-----\n${bytesToBase64(spki)}\n-----END PUBLIC KEY-----`;
}
