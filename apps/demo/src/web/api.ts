/**
 * @module web/api
 * The page's calls to the demo back end (`/api/*`). Failures become {@link DemoApiError} with the
 * back end's plain-words message.
 */
import type { DemoConfigView, StartView } from '../api-routes.js';
import type { InboxMessage } from '../demo-inbox.js';
import type { CheckView, DemoFlow, OutcomeView } from '../explain.js';

/** A refused or failed `/api/*` call. */
export class DemoApiError extends Error {
  override name = 'DemoApiError';
  readonly status: number;
  readonly error: string;

  constructor(status: number, error: string, message: string) {
    super(message);
    this.status = status;
    this.error = error;
  }
}

async function call<T>(path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch {
    throw new DemoApiError(0, 'network', 'The demo back end cannot be reached. Is `npm start` still running?');
  }
  const value = (await res.json().catch(() => ({}))) as T & { error?: string; message?: string };
  if (!res.ok) throw new DemoApiError(res.status, value.error ?? 'http', value.message ?? `The demo back end answered HTTP ${res.status}.`);
  return value;
}

export const api = {
  config: (): Promise<DemoConfigView> => call('/api/config'),
  inbox: (): Promise<{ messages: InboxMessage[] }> => call('/api/inbox'),
  start: (body: { phoneNumber?: string; flow: DemoFlow; rebind: boolean }): Promise<StartView> => call('/api/start', body),
  verify: (authId: string): Promise<OutcomeView> => call('/api/verify', { authId }),
  startCheck: (authId: string, phoneNumber: string): Promise<CheckView> => call('/api/check/start', { authId, phoneNumber }),
  resendCheck: (authId: string): Promise<CheckView> => call('/api/check/resend', { authId }),
  bind: (authId: string, code: string): Promise<OutcomeView> => call('/api/bind', { authId, code }),
};
