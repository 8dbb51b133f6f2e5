/**
 * @module test-device
 * A stand-in for the end user's browser in server-SDK tests: it holds a Prove Key (ECDSA P-256,
 * node:crypto) and runs the `device/passive` step of the client protocol over real HTTP
 * (`client-protocol.md` §3.3, §4.3): register a new key, or verify an existing one. The browser SDK
 * itself is tested with Chromium elsewhere; here it is an external actor the integrator's back end
 * does not control.
 */
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import type { AuthTokenClaims, ClientEnvelope, RegisterRequest, VerifyRequest } from '@handset/protocol';

/** Reads the claims of an authToken as the browser SDK does (base64 middle segment, JSON). */
export function readClaims(authToken: string): AuthTokenClaims {
  const payload = authToken.split('.')[1];
  if (payload === undefined) throw new Error('authToken is not a JWT');
  return JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as AuthTokenClaims;
}

export class TestDevice {
  readonly keyId = randomUUID();
  readonly #privateKey: KeyObject;
  readonly #publicKeyPem: string;
  /** Set once the server has registered the key. */
  deviceId: string | undefined;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.#privateKey = privateKey;
    const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    this.#publicKeyPem = `-----BEGIN PUBLIC KEY-----\n${spki}\n-----END PUBLIC KEY-----`;
  }

  /** DER ECDSA over SHA-256, standard base64, as the browser SDK sends it. */
  #sign(message: string): string {
    return sign('sha256', Buffer.from(message, 'utf8'), this.#privateKey).toString('base64');
  }

  /**
   * Runs the session's `device/passive` step: registers the key on first use, verifies it after.
   * Returns the server's envelope (`next` is `"done"` when the step ends the flow; `error` when the
   * server refused the key).
   */
  async passiveStep(authToken: string): Promise<ClientEnvelope> {
    const { auth } = readClaims(authToken);
    if (auth.next !== 'device/passive') throw new Error(`unexpected first step ${auth.next}`);
    const registering = this.deviceId === undefined;
    const path = registering ? '/v1/client/device/passive/register' : '/v1/client/device/passive/verify';
    const body: RegisterRequest | VerifyRequest = registering
      ? {
          deviceName: 'handset-node test device',
          deviceCapabilities: [],
          registrations: [
            { publicKey: { id: this.keyId, alg: 'ES256', key: this.#publicKeyPem, uvLevel: 0 }, signature: this.#sign(auth.chlg) },
          ],
          signals: {},
        }
      : { deviceId: this.deviceId ?? '', keyId: this.keyId, signature: this.#sign(`${this.deviceId}:${auth.chlg}`), signals: {} };
    const response = await fetch(`${auth.endp}${path}`, {
      method: 'POST',
      headers: { Accept: 'application/json', 'Content-Type': 'application/json', Authorization: `Bearer ${authToken}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    if (response.status !== 200) throw new Error(`${path} answered HTTP ${response.status}`);
    const envelope = (await response.json()) as ClientEnvelope;
    if (envelope.error) return envelope;
    if (registering) {
      const deviceId = envelope.data?.deviceId;
      if (typeof deviceId !== 'string') throw new Error('register returned no deviceId');
      this.deviceId = deviceId;
    }
    return envelope;
  }
}
