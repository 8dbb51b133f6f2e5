/**
 * @module request-signature
 * Request signing v3 (client-protocol.md §4.5): challenges bound to a device, and the check of
 * the `PA-*` headers on signed calls such as `device/unregister`.
 */
import { CHALLENGE_TTL_SECONDS, Header, SIGNATURE_VERSION, signingString } from '@handset/protocol';
import type { Deps } from '../deps.js';
import { sha256Hex } from '../lib/hash.js';
import { randomToken } from '../ports/random.js';
import { findChallenge, findDevice, findLiveChallenge, insertChallenge, type DeviceRow } from '../store/devices-repo.js';
import { verifyDeviceSignature } from './signatures.js';

/**
 * A device's live challenge is handed out again while at least half its lifetime is left: the
 * SDK uses one until `ttl − 60` s, so it gets ≥ 90 s of use, and a device has at most about two
 * live rows however often anyone asks for it.
 */
const REUSE_MIN_REMAINING_MS = (CHALLENGE_TTL_SECONDS * 1000) / 2;

/**
 * Issues a challenge for a device, or hands out its live one (reusable until it expires,
 * decision C6). `admitNewRow` runs before a new row is written and may refuse by throwing.
 */
export async function issueChallenge(
  deps: Deps,
  deviceId: string,
  admitNewRow?: () => Promise<void>,
): Promise<{ challenge: string; ttl: number; deviceId: string }> {
  const now = deps.clock.now();
  const live = await findLiveChallenge(deps.db.kysely, deviceId, now + REUSE_MIN_REMAINING_MS);
  if (live) return { challenge: live.challenge, ttl: Math.floor((live.expires_at - now) / 1000), deviceId };
  await admitNewRow?.();
  const challenge = randomToken(deps.random, 24);
  await insertChallenge(deps.db.kysely, challenge, deviceId, now + CHALLENGE_TTL_SECONDS * 1000, now);
  return { challenge, ttl: CHALLENGE_TTL_SECONDS, deviceId };
}

export type SignatureCheck =
  | { kind: 'absent' }
  | { kind: 'valid'; device: DeviceRow }
  | { kind: 'invalid'; reason: string };

/**
 * Checks the v3 signature headers of a request. `rawBody` must be the exact bytes received.
 * `expectedDeviceId`, when given, must be the device the challenge was issued for.
 */
export async function checkRequestSignature(
  deps: Deps,
  request: { headers: Record<string, string | string[] | undefined>; path: string; query: string; rawBody: string },
  expectedDeviceId?: string,
): Promise<SignatureCheck> {
  const header = (name: string): string | undefined => {
    const value = request.headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  };
  const signature = header(Header.SIGNATURE);
  const challenge = header(Header.CHALLENGE);
  const kid = header(Header.KID);
  if (!signature && !challenge && !kid) return { kind: 'absent' };
  if (header(Header.SIG_VERSION) !== SIGNATURE_VERSION) return { kind: 'invalid', reason: 'unsupported signature version' };
  if (!signature || !challenge || !kid) return { kind: 'invalid', reason: 'incomplete signature headers' };
  const issued = await findChallenge(deps.db.kysely, challenge);
  if (!issued || issued.expires_at <= deps.clock.now()) return { kind: 'invalid', reason: 'unknown or expired challenge' };
  if (expectedDeviceId !== undefined && issued.device_id !== expectedDeviceId) {
    return { kind: 'invalid', reason: 'challenge was issued for another device' };
  }
  const device = await findDevice(deps.db.kysely, issued.device_id);
  if (!device || device.revoked_at !== null || device.key_id !== kid) return { kind: 'invalid', reason: 'unknown key' };
  const message = signingString({ path: request.path, query: request.query, challenge, bodySha256Hex: sha256Hex(request.rawBody) });
  return verifyDeviceSignature(device.public_key, message, signature)
    ? { kind: 'valid', device }
    : { kind: 'invalid', reason: 'signature does not verify' };
}
