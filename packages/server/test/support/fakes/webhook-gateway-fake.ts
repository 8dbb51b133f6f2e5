/**
 * A local SMS gateway behind Handset's generic webhook provider (docs/channels.md, "Generic HTTPS
 * webhook"). It checks each request as the contract says — POST, `application/json`,
 * Standard Webhooks headers whose signature it recomputes itself (HMAC-SHA256 over
 * `id.timestamp.body` with the base64-decoded `whsec_` key, protocol/channels.md §3, independent of
 * the `standardwebhooks` package the code under test uses), timestamp within five minutes, an
 * `sms.send` event whose `messageId` is the `webhook-id` — and answers 202 `{id, status}` or a
 * refusal `{code, message}`. It can post signed status callbacks back (good, bad, old).
 */
import { createHmac } from 'node:crypto';
import { deliverCallback, FakeHttpServer, hex, type RawAnswer, type RecordedRequest } from './fake-http.js';

export type GatewayOutcome = 'success' | 'auth' | 'invalid-number' | 'opted-out' | 'rate-limited' | 'server-error';

/** A fresh `whsec_` secret (32 random bytes). */
export function newWebhookSecret(): string {
  return `whsec_${Buffer.from(hex(64), 'hex').toString('base64')}`;
}

export function standardWebhookSignature(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

export class WebhookGatewayFake extends FakeHttpServer<GatewayOutcome> {
  readonly secret: string;
  readonly path = '/hooks/sms';
  retryAfterSeconds = 2;

  constructor(secret = newWebhookSecret()) {
    super('success');
    this.secret = secret;
  }

  /** The URL Handset posts to. */
  get endpoint(): string {
    return `${this.url}${this.path}`;
  }

  protected check(r: RecordedRequest): string[] {
    const problems: string[] = [];
    if (r.method !== 'POST') problems.push(`method ${r.method}`);
    if (r.path !== this.path) problems.push(`path ${r.path}`);
    if (!String(r.headers['content-type'] ?? '').startsWith('application/json')) problems.push(`content-type ${r.headers['content-type']}`);
    const id = String(r.headers['webhook-id'] ?? '');
    const ts = String(r.headers['webhook-timestamp'] ?? '');
    const sigs = String(r.headers['webhook-signature'] ?? '').split(' ');
    if (id === '' || !/^[0-9]+$/.test(ts)) problems.push('webhook-id / webhook-timestamp missing');
    else {
      if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) problems.push('webhook-timestamp more than 5 minutes off');
      if (!sigs.includes(standardWebhookSignature(this.secret, id, Number(ts), r.body))) problems.push('webhook-signature does not match');
    }
    let event: { type?: unknown; timestamp?: unknown; data?: Record<string, unknown> } = {};
    try {
      event = JSON.parse(r.body) as typeof event;
    } catch {
      problems.push('body is not JSON');
    }
    if (event.type !== 'sms.send') problems.push('type is not sms.send');
    if (typeof event.timestamp !== 'string' || Number.isNaN(Date.parse(event.timestamp))) problems.push('timestamp is not a date');
    const data = event.data ?? {};
    if (data.messageId !== id) problems.push('data.messageId is not the webhook-id');
    if (typeof data.to !== 'string' || !/^\+[1-9][0-9]{6,14}$/.test(data.to)) problems.push('data.to is not E.164');
    if (typeof data.body !== 'string' || data.body === '') problems.push('data.body missing');
    for (const key of Object.keys(data)) if (!['messageId', 'to', 'body', 'callbackUrl'].includes(key)) problems.push(`unknown field data.${key}`);
    return problems;
  }

  protected answer(outcome: GatewayOutcome, _r: RecordedRequest, violated: boolean): RawAnswer {
    const json = (status: number, body: object, headers: Record<string, string> = {}): RawAnswer => ({
      status,
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    if (violated) return json(401, { code: 'auth-failed', message: 'signature refused' });
    switch (outcome) {
      case 'success':
        return json(202, { id: `gw_${hex(20)}`, status: 'queued' });
      case 'auth':
        return json(401, { code: 'auth-failed', message: 'signature refused' });
      case 'invalid-number':
        return json(422, { code: 'invalid-number', message: 'not a valid number' });
      case 'opted-out':
        return json(422, { code: 'opted-out', message: 'recipient opted out' });
      case 'rate-limited':
        return json(429, { code: 'rate-limited', message: 'slow down' }, { 'retry-after': String(this.retryAfterSeconds) });
      case 'server-error':
        return json(503, { code: 'unavailable', message: 'maintenance' });
    }
  }

  /** Posts a status callback: `good`, `bad` (wrong key), `old` (ten minutes ago) or `none`. */
  async sendStatus(url: string, data: Record<string, string>, signing: 'good' | 'bad' | 'old' | 'none' = 'good', webhookId = `evt_${hex(16)}`): Promise<number> {
    const body = JSON.stringify({ type: 'sms.status', timestamp: new Date().toISOString(), data });
    const ts = Math.floor(Date.now() / 1000) - (signing === 'old' ? 600 : 0);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (signing !== 'none') {
      headers['webhook-id'] = webhookId;
      headers['webhook-timestamp'] = String(ts);
      headers['webhook-signature'] = standardWebhookSignature(signing === 'bad' ? newWebhookSecret() : this.secret, webhookId, ts, body);
    }
    return deliverCallback(url, { method: 'POST', headers, body });
  }
}
