/**
 * @module request-signer
 * Request signing v3 (`client-protocol.md` §4.5): a challenge from `POST /v1/client/challenge`,
 * cached per session while `receivedAt + ttl − 60 > now` for the same deviceId, and an ECDSA
 * signature over `signingString()` sent as `PA-Sig-Version`, `PA-Challenge`, `PA-KID`, `PA-Signature`.
 */
import { ClientPath, Header, SIGNATURE_VERSION, signingString } from '@handset/protocol/browser';
import { sha256Hex, signMessage } from './device-key.js';
import { AuthError } from './errors.js';
import { postJson } from './http.js';
import type { Registration } from './key-store.js';
import type { Session } from './session.js';

const CHALLENGE_FUDGE_SECONDS = 60;

async function challengeFor(session: Session, deviceId: string): Promise<string> {
  const now = Date.now() / 1000;
  const cached = session.challenge;
  if (cached && cached.deviceId === deviceId && cached.validUntil > now) return cached.value;
  const reply = await postJson(session, ClientPath.CHALLENGE, JSON.stringify({ deviceId }));
  const error = reply.error as { code?: unknown; message?: unknown } | undefined;
  if (error) {
    throw new AuthError(String(error.message ?? 'Challenge request failed'), {
      code: typeof error.code === 'number' ? error.code : 0,
    });
  }
  if (typeof reply.challenge !== 'string' || reply.challenge === '') {
    throw new AuthError('Challenge response without challenge', { reportable: true });
  }
  if (typeof reply.ttl === 'number' && typeof reply.deviceId === 'string') {
    session.challenge = { value: reply.challenge, deviceId: reply.deviceId, validUntil: now + reply.ttl - CHALLENGE_FUDGE_SECONDS };
  }
  return reply.challenge;
}

/** The four v3 signature headers for a `POST` of `bodyText` to `path`, signed by `registration`. */
export async function signatureHeaders(
  session: Session,
  registration: Registration & { deviceId: string },
  path: string,
  bodyText: string,
): Promise<Record<string, string>> {
  const challenge = await challengeFor(session, registration.deviceId);
  const message = signingString({ path, query: '', challenge, bodySha256Hex: await sha256Hex(bodyText) });
  return {
    [Header.SIG_VERSION]: SIGNATURE_VERSION,
    [Header.CHALLENGE]: challenge,
    [Header.KID]: registration.keyId,
    [Header.SIGNATURE]: await signMessage(registration.keys.privateKey, message),
  };
}
