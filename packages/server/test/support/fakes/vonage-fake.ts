/**
 * A local Vonage SMS API (protocol/channels.md §2) for contract tests. It checks each request as
 * Vonage documents it — `POST /sms/json`, a form (or JSON) body with `api_key`, `api_secret`,
 * `from`, `to` (digits, no `+`), `text`, optional `type` (`text`/`unicode`), `callback` (absolute
 * URL), `client-ref` (≤ 100 characters), nothing else — and answers as Vonage does: HTTP 200 with
 * `{message-count, messages[]}` whose `status` is "0" or an error code with `error-text`. It can
 * also send delivery receipts, signed (any of Vonage's methods), badly signed, unsigned or old.
 */
import { createHash, createHmac } from 'node:crypto';
import { deliverCallback, FakeHttpServer, hex, type RawAnswer, type RecordedRequest } from './fake-http.js';

export type VonageOutcome =
  | 'success'
  | 'auth' // status 4
  | 'invalid-number' // status 6
  | 'opted-out' // status 7, number barred: how Vonage's SMS API reports a blocked recipient
  | 'throttled' // status 1
  | 'rate-limited' // HTTP 429 with Retry-After
  | 'server-error' // HTTP 500
  | 'internal-error'; // status 5

const ALLOWED = new Set(['api_key', 'api_secret', 'from', 'to', 'text', 'type', 'callback', 'client-ref']);

export type VonageMethod = 'md5hash' | 'md5' | 'sha1' | 'sha256' | 'sha512';

export class VonageFake extends FakeHttpServer<VonageOutcome> {
  readonly apiKey: string;
  readonly apiSecret: string;
  retryAfterSeconds = 3;

  constructor(apiKey = hex(8), apiSecret = `sec${hex(13)}`) {
    super('success');
    this.apiKey = apiKey;
    this.apiSecret = apiSecret;
  }

  /** The request's fields, from a form or a JSON body. */
  static fields(r: RecordedRequest): Map<string, string> {
    if (String(r.headers['content-type'] ?? '').startsWith('application/json')) {
      try {
        return new Map(Object.entries(JSON.parse(r.body) as Record<string, string>));
      } catch {
        return new Map();
      }
    }
    return new Map(r.form);
  }

  protected check(r: RecordedRequest): string[] {
    const problems: string[] = [];
    if (r.method !== 'POST') problems.push(`method ${r.method}`);
    if (r.path !== '/sms/json') problems.push(`path ${r.path}`);
    const type = String(r.headers['content-type'] ?? '');
    if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('application/json')) problems.push(`content-type ${type}`);
    const f = VonageFake.fields(r);
    for (const name of f.keys()) if (!ALLOWED.has(name)) problems.push(`unknown field ${name}`);
    for (const name of ALLOWED) if (r.form.getAll(name).length > 1) problems.push(`repeated field ${name}`);
    if (f.get('api_key') !== this.apiKey || f.get('api_secret') !== this.apiSecret) problems.push('api_key/api_secret do not match');
    if (!/^[1-9][0-9]{6,14}$/.test(f.get('to') ?? '')) problems.push('to is not international digits without +');
    const from = f.get('from') ?? '';
    if (!/^[0-9]{7,15}$/.test(from) && !/^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/.test(from)) problems.push('from is not a number or an alphanumeric id');
    if ((f.get('text') ?? '') === '') problems.push('text missing');
    const t = f.get('type');
    if (t !== undefined && t !== 'text' && t !== 'unicode') problems.push(`type ${t}`);
    const callback = f.get('callback');
    if (callback !== undefined && !/^https?:\/\//.test(callback)) problems.push('callback is not an absolute URL');
    if ((f.get('client-ref') ?? '').length > 100) problems.push('client-ref longer than 100');
    return problems;
  }

  protected answer(outcome: VonageOutcome, r: RecordedRequest, violated: boolean): RawAnswer {
    const f = VonageFake.fields(r);
    const json = (messages: object[]): RawAnswer => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ 'message-count': String(messages.length), messages }),
    });
    const failure = (status: string, text: string): RawAnswer => json([{ status, 'error-text': text }]);
    if (violated) {
      return f.get('api_key') !== this.apiKey || f.get('api_secret') !== this.apiSecret
        ? failure('4', 'Bad Credentials')
        : failure('2', 'Missing or invalid parameters');
    }
    switch (outcome) {
      case 'success':
        return json([
          {
            to: f.get('to'),
            'message-id': hex(16).toUpperCase(),
            status: '0',
            'remaining-balance': '3.14159265',
            'message-price': '0.03330000',
            network: '23410',
            ...(f.has('client-ref') ? { 'client-ref': f.get('client-ref') } : {}),
          },
        ]);
      case 'auth':
        return failure('4', 'Bad Credentials');
      case 'invalid-number':
        return failure('6', `Unroutable message - rejected for ${f.get('to')}`);
      case 'opted-out':
        return failure('7', 'Number barred.');
      case 'throttled':
        return failure('1', 'Throughput Rate Exceeded - please wait [ 10 ] and retry');
      case 'internal-error':
        return failure('5', 'Internal Error');
      case 'rate-limited':
        return { status: 429, headers: { 'content-type': 'text/plain', 'retry-after': String(this.retryAfterSeconds) }, body: 'Too Many Requests' };
      case 'server-error':
        return { status: 500, headers: { 'content-type': 'text/html' }, body: '<html>Internal Server Error</html>' };
    }
  }

  /** Vonage's `sig` over receipt parameters (written from Vonage's guide, apart from the code under test). */
  static signature(params: Record<string, string>, secret: string, method: VonageMethod): string {
    const base = Object.keys(params)
      .filter((k) => k !== 'sig')
      .sort()
      .map((k) => `&${k}=${(params[k] ?? '').replace(/&/g, '_').replace(/=/g, '_')}`)
      .join('');
    if (method === 'md5hash') return createHash('md5').update(base + secret).digest('hex');
    return createHmac(method, secret).update(base).digest('hex').toUpperCase();
  }

  /**
   * Sends a delivery receipt to `url` (GET query or POST form). `signing` adds `timestamp` and
   * `sig`: `good`, `bad` (wrong secret), `old` (ten minutes ago), or `none` (unsigned).
   */
  async sendReceipt(
    url: string,
    receipt: Record<string, string>,
    options: { method?: 'GET' | 'POST'; signing?: 'good' | 'bad' | 'old' | 'none'; secret?: string; signatureMethod?: VonageMethod; nowSeconds?: number },
  ): Promise<number> {
    const { method = 'GET', signing = 'none', secret = '', signatureMethod = 'md5hash' } = options;
    const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
    const params: Record<string, string> = { ...receipt };
    if (signing !== 'none') {
      params.timestamp = String(signing === 'old' ? now - 600 : now);
      params.sig = VonageFake.signature(params, signing === 'bad' ? `${secret}x` : secret, signatureMethod);
    }
    const query = new URLSearchParams(params).toString();
    return method === 'GET'
      ? deliverCallback(`${url}?${query}`, { method: 'GET' })
      : deliverCallback(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: query });
  }
}
