/**
 * @module transport
 * A protocol call: load the namespace's Prove Key record (pinning the endpoint, §4.6), sign the
 * request when the path is one of the signed paths and the record has a deviceId (§4.5), post it,
 * and hand back the reply envelope (§3.2).
 */
import { SIGNED_PATHS, type ClientEnvelope } from '@handset/protocol/browser';
import { AuthError } from './errors.js';
import { postJson } from './http.js';
import { loadRegistration } from './key-store.js';
import { signatureHeaders } from './request-signer.js';
import { baseUrl, type Session } from './session.js';

/** A reply envelope as received: fields are checked where used. */
export type Envelope = Partial<ClientEnvelope<Record<string, unknown>>> & Record<string, unknown>;

/** Posts `body` (JSON; `undefined` members dropped) to `path` of the session's endpoint. */
export async function callServer(session: Session, path: string, body: object): Promise<Envelope> {
  const registration = await loadRegistration(session.namespace);
  if (registration) session.endpoint = baseUrl(registration.endpoint);
  const bodyText = JSON.stringify(body);
  const headers =
    registration?.deviceId && SIGNED_PATHS.includes(path)
      ? await signatureHeaders(session, { ...registration, deviceId: registration.deviceId }, path, bodyText)
      : {};
  return (await postJson(session, path, bodyText, headers)) as Envelope;
}

/**
 * The failure a server `error` object stands for (§2.3 case 1): non-reportable, carrying the
 * server's code, message and `next` as the fallback step.
 */
export function serverFailure(reply: Envelope): AuthError {
  const error = (reply.error ?? {}) as { code?: unknown; message?: unknown };
  return new AuthError(typeof error.message === 'string' ? error.message : 'Authentication failed', {
    code: typeof error.code === 'number' ? error.code : 0,
    nextStep: typeof reply.next === 'string' && reply.next !== '' ? reply.next : undefined,
  });
}
