/**
 * @module encoding
 * Byte/text conversions the wire needs: standard base64 (with padding), lowercase hex and UTF-8.
 * Browser globals only (`btoa`, `atob`, `TextEncoder`), so the SDK stays dependency-free.
 */

/**
 * Encodes bytes as standard base64 (`+/`, with `=` padding).
 *
 * @example
 * ```ts
 * bytesToBase64(new Uint8Array([251, 255])); // "+/8="
 * ```
 */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * Decodes standard or URL-safe base64, with or without padding.
 *
 * @example
 * ```ts
 * base64ToBytes('-_8'); // Uint8Array [251, 255]
 * ```
 */
export function base64ToBytes(text: string): Uint8Array {
  const standard = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(standard + '==='.slice((standard.length + 3) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Encodes bytes as lowercase hex.
 *
 * @example
 * ```ts
 * bytesToHex(new Uint8Array([0, 171])); // "00ab"
 * ```
 */
export function bytesToHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/**
 * The UTF-8 bytes of a string.
 *
 * @example
 * ```ts
 * utf8Bytes('é'); // Uint8Array [195, 169]
 * ```
 */
export function utf8Bytes(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text);
}
