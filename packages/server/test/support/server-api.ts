/**
 * @module server-api
 * The integrator back end's side of a test: token, unify, status, bind, revoke over HTTP.
 */
import type { UnifyRequest, UnifyResponse, UnifyResult } from '@handset/protocol';
import type { TestServer } from '../../src/testing.js';
import { postJson, type Reply } from './protocol-client.js';

export class Backend {
  #token: string | null = null;
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  constructor(url: string, clientId: string, clientSecret: string) {
    this.url = url;
    this.clientId = clientId;
    this.clientSecret = clientSecret;
  }

  static of(server: TestServer): Backend {
    return new Backend(server.url, server.clientId, server.clientSecret);
  }

  /** The access token, fetched once; `fresh` fetches a new one (after the old one was refused). */
  async token(fresh = false): Promise<string> {
    if (this.#token && !fresh) return this.#token;
    const response = await fetch(`${this.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: this.clientId, client_secret: this.clientSecret }),
    });
    if (response.status !== 200) throw new Error(`token request failed: ${response.status}`);
    this.#token = ((await response.json()) as { access_token: string }).access_token;
    return this.#token;
  }

  async post<T>(path: string, body: unknown): Promise<Reply<T>> {
    return postJson<T>(this.url + path, body, { authorization: `Bearer ${await this.token()}` });
  }

  async unify(request: Partial<UnifyRequest> & { possessionType: UnifyRequest['possessionType'] }): Promise<UnifyResponse> {
    const reply = await this.post<UnifyResponse>('/v3/unify', { clientRequestId: 'test-request', ...request });
    if (reply.status !== 200) throw new Error(`unify failed: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  }

  async status(correlationId: string): Promise<UnifyResult> {
    const reply = await this.post<UnifyResult>('/v3/unify-status', { correlationId });
    if (reply.status !== 200) throw new Error(`status failed: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  }

  bind(correlationId: string, phoneNumber: string): Promise<Reply<UnifyResult>> {
    return this.post<UnifyResult>('/v3/unify-bind', { correlationId, phoneNumber });
  }
}

/** The newest outbox message to a number, with the digits of an OTP or the link in it. */
export async function latestMessage(server: TestServer, to: string): Promise<{ body: string; code: string | null; link: string | null }> {
  const message = (await server.outbox()).find((m) => m.to === to);
  if (!message) throw new Error('no message in the outbox for this number');
  return {
    body: message.body,
    code: /\b(\d{4,6})\b/.exec(message.body)?.[1] ?? null,
    link: /(https?:\/\/\S+)/.exec(message.body)?.[1] ?? null,
  };
}
