/**
 * @module e2e/web/support/handset-api
 * The integrator back end's calls to the Handset server API, made with plain fetch exactly as an
 * integrator would: `POST /token` (client credentials), `/v3/unify`, `/v3/unify-status`,
 * `/v3/unify-bind`. The access token is cached until a minute before it expires.
 */
import type { UnifyBindRequest, UnifyRequest, UnifyResponse, UnifyResult, UnifyStatusRequest } from '@handset/protocol';

export interface HandsetApi {
  unify(body: UnifyRequest): Promise<UnifyResponse>;
  unifyStatus(body: UnifyStatusRequest): Promise<UnifyResult>;
  unifyBind(body: UnifyBindRequest): Promise<UnifyResult>;
}

/** A Handset API error, with the wire `{code, message}` and the HTTP status. */
export class HandsetApiError extends Error {
  readonly status: number;
  readonly code: number | undefined;
  constructor(path: string, status: number, body: unknown) {
    const { code, message } = (body ?? {}) as { code?: number; message?: string };
    super(`${path} → HTTP ${status} ${code ?? ''} ${message ?? ''}`.trim());
    this.status = status;
    this.code = code;
  }
}

/** A client of the server API at `url` (the platform's public origin). */
export function handsetApi(url: string, clientId: string, clientSecret: string): HandsetApi {
  let cached: { token: string; expiresAt: number } | undefined;

  async function accessToken(): Promise<string> {
    if (cached && cached.expiresAt > Date.now() + 60_000) return cached.token;
    const response = await fetch(`${url}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as { access_token: string; expires_in: number; token_type: string };
    if (response.status !== 200) throw new HandsetApiError('/token', response.status, body);
    cached = { token: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 };
    return cached.token;
  }

  async function call<T>(path: string, body: unknown): Promise<T> {
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await accessToken()}`, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const parsed: unknown = await response.json();
    if (response.status !== 200) throw new HandsetApiError(path, response.status, parsed);
    return parsed as T;
  }

  return {
    unify: (body) => call('/v3/unify', body),
    unifyStatus: (body) => call('/v3/unify-status', body),
    unifyBind: (body) => call('/v3/unify-bind', body),
  };
}
