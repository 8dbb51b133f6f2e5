/**
 * @module der
 * WebCrypto signs ECDSA as raw `r‖s`; the protocol carries ASN.1 DER
 * (`SEQUENCE { INTEGER r, INTEGER s }` with minimal integers, `client-protocol.md` §4.1).
 */

function derInteger(bytes: Uint8Array): number[] {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const value = Array.from(bytes.subarray(start));
  // A set high bit would read as negative: prefix a zero byte.
  if ((value[0] ?? 0) & 0x80) value.unshift(0);
  return [0x02, value.length, ...value];
}

/**
 * Converts a raw `r‖s` ECDSA signature (64 bytes for P-256) to DER.
 *
 * @example
 * ```ts
 * const raw = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, data));
 * const der = rawEcdsaToDer(raw); // 0x30 … — verifies with Node's crypto.verify()
 * ```
 */
export function rawEcdsaToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0 || raw.length > 120) {
    throw new RangeError('ECDSA signature must be r‖s of equal, even length');
  }
  const half = raw.length / 2;
  const body = [...derInteger(raw.subarray(0, half)), ...derInteger(raw.subarray(half))];
  return new Uint8Array([0x30, body.length, ...body]);
}
