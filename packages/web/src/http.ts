/**
 * @module http
 * One `POST` to the platform with the protocol's common transport (`client-protocol.md` §3.1):
 * CORS fetch, `PA-Version`, Bearer token when there is one, and the response rules — non-2xx is a
 * non-reportable "Got <status> HTTP error", an empty or unparsable body is a reportable failure,
 * and `error.code` 10006 in any reply wipes the local Prove Key.
 */
import { ClientErrorCode, Header, PA_VERSION } from '@handset/protocol/browser';
import { AuthError } from './errors.js';
import type { Session } from './session.js';
import { wipeDevice } from './settings.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Posts `bodyText` to `endpoint + path` and returns the parsed JSON object. */
export async function postJson(
  session: Session,
  path: string,
  bodyText: string,
  extraHeaders: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'Content-Type': 'application/json',
    [Header.PA_VERSION]: PA_VERSION,
    ...extraHeaders,
  };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  let response: Response;
  try {
    response = await fetch(session.endpoint + path, {
      method: 'POST',
      mode: 'cors',
      headers,
      body: bodyText,
      signal: session.signal,
    });
  } catch (error) {
    if (session.signal?.aborted) throw error;
    throw new AuthError(`Request to ${path} failed: ${error instanceof Error ? error.message : String(error)}`, {
      reportable: true,
      cause: error,
    });
  }
  const text = await response.text();
  if (!response.ok) {
    let code = 0;
    try {
      const body: unknown = JSON.parse(text);
      if (isObject(body) && typeof body.code === 'number') code = body.code;
    } catch {
      // a non-JSON error body keeps code 0
    }
    throw new AuthError(`Got ${response.status} HTTP error - ${response.statusText}`, { code, status: response.status });
  }
  if (text.trim() === '') throw new AuthError('Empty response from server', { reportable: true });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new AuthError(`Failed to parse JSON response: ${(error as Error).message}`, { reportable: true });
  }
  if (!isObject(parsed)) throw new AuthError('Failed to parse JSON response: not an object', { reportable: true });
  const serverError = parsed.error;
  if (isObject(serverError) && serverError.code === ClientErrorCode.NO_DEVICE_FOUND) await wipeDevice(session.storage);
  return parsed;
}
