/**
 * @module device-key
 * A Prove Key as a browser holds it, for tests: a real ECDSA P-256 key pair, its one-line PEM
 * public key and DER/base64 signatures (client-protocol.md §4.1).
 */
import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { signingString } from '@handset/protocol';

export class DeviceKey {
  readonly keyId = randomUUID();
  readonly #privateKey: KeyObject;
  readonly publicKeyPem: string;
  deviceId: string | null = null;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.#privateKey = privateKey;
    const der = publicKey.export({ format: 'der', type: 'spki' });
    this.publicKeyPem = `-----BEGIN PUBLIC KEY-----\n${der.toString('base64')}\n-----END PUBLIC KEY-----`;
  }

  /** DER signature of the UTF-8 message, standard base64. */
  sign(message: string): string {
    return sign('sha256', Buffer.from(message, 'utf8'), { key: this.#privateKey, dsaEncoding: 'der' }).toString('base64');
  }

  /** The v3 request-signing headers for a body sent to `path`. */
  signRequest(path: string, body: string, challenge: string): Record<string, string> {
    const bodySha256Hex = createHash('sha256').update(body).digest('hex');
    return {
      'PA-Sig-Version': '3',
      'PA-Challenge': challenge,
      'PA-KID': this.keyId,
      'PA-Signature': this.sign(signingString({ path, challenge, bodySha256Hex })),
    };
  }
}
