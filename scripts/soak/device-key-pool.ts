/**
 * @module soak/device-key-pool
 * Prove Keys for the load generator, made before the clock starts. Each flow that registers a
 * device takes a key of its own (a new phone user each time: no key is used twice, so nothing the
 * server caches by key makes a flow cheaper than a real one would be). A key costs ~0.1 ms of CPU
 * to make and export; the bench fills the pool between measurements, and a pool that runs dry
 * makes keys on the spot and counts them, so a window that paid for some says so.
 */
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';

/** A P-256 key pair as a browser's Prove Key: its id, one-line PEM public key, and signer. */
export interface PooledKey {
  readonly keyId: string;
  readonly publicKeyPem: string;
  /** DER ECDSA-SHA256 signature of the UTF-8 message, standard base64 (client-protocol.md §4.1). */
  sign(message: string): string;
}

class P256Key implements PooledKey {
  readonly keyId = randomUUID();
  readonly publicKeyPem: string;
  readonly #privateKey: KeyObject;
  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.#privateKey = privateKey;
    this.publicKeyPem = `-----BEGIN PUBLIC KEY-----\n${publicKey.export({ format: 'der', type: 'spki' }).toString('base64')}\n-----END PUBLIC KEY-----`;
  }
  sign(message: string): string {
    // One-shot sign on a KeyObject: no PEM parse per signature (node:crypto's cheapest path).
    return sign('sha256', Buffer.from(message, 'utf8'), { key: this.#privateKey, dsaEncoding: 'der' }).toString('base64');
  }
}

export class DeviceKeyPool {
  readonly #keys: PooledKey[] = [];
  /** Keys made by {@link take} because the pool was empty (inside a measured window, if any). */
  madeOnDemand = 0;

  /** Tops the pool up to `count` unused keys. */
  fill(count: number): void {
    while (this.#keys.length < count) this.#keys.push(new P256Key());
  }

  get size(): number {
    return this.#keys.length;
  }

  /** An unused key: from the pool, or made now when it is empty. */
  take(): PooledKey {
    const key = this.#keys.pop();
    if (key) return key;
    this.madeOnDemand += 1;
    return new P256Key();
  }
}
