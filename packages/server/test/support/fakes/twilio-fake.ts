/**
 * A local Twilio Messaging API (protocol/channels.md §1) for contract tests. It checks each request
 * as Twilio documents it — `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, HTTP Basic
 * `AccountSid:AuthToken`, a form body with `To` (E.164), `Body`, exactly one of `From` /
 * `MessagingServiceSid`, optional `StatusCallback` (absolute URL), nothing else — and answers with
 * Twilio's shapes: 201 with `sid`/`status`, or `{code, message, more_info, status}`. It can also
 * post status callbacks, signed correctly or not.
 */
import { createHmac } from 'node:crypto';
import { deliverCallback, FakeHttpServer, hex, type RawAnswer, type RecordedRequest } from './fake-http.js';

export type TwilioOutcome = 'success' | 'auth' | 'invalid-number' | 'opted-out' | 'rate-limited' | 'server-error';

const ALLOWED = new Set(['To', 'Body', 'From', 'MessagingServiceSid', 'StatusCallback']);
const E164 = /^\+[1-9][0-9]{6,14}$/;

function error(status: number, code: number, message: string, headers: Record<string, string> = {}): RawAnswer {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }),
  };
}

export class TwilioFake extends FakeHttpServer<TwilioOutcome> {
  readonly accountSid: string;
  readonly authToken: string;
  /** Seconds sent in Retry-After with `rate-limited`. */
  retryAfterSeconds = 7;

  constructor(accountSid = `AC${hex(32)}`, authToken = `tok${hex(29)}`) {
    super('success');
    this.accountSid = accountSid;
    this.authToken = authToken;
  }

  protected check(r: RecordedRequest): string[] {
    const problems: string[] = [];
    if (r.method !== 'POST') problems.push(`method ${r.method}`);
    if (r.path !== `/2010-04-01/Accounts/${this.accountSid}/Messages.json`) problems.push(`path ${r.path}`);
    const expectedAuth = `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64')}`;
    if (r.headers.authorization !== expectedAuth) problems.push('authorization is not Basic AccountSid:AuthToken');
    if (!String(r.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) problems.push(`content-type ${r.headers['content-type']}`);
    for (const name of r.form.keys()) if (!ALLOWED.has(name)) problems.push(`unknown field ${name}`);
    for (const name of ALLOWED) if (r.form.getAll(name).length > 1) problems.push(`repeated field ${name}`);
    if (!E164.test(r.form.get('To') ?? '')) problems.push('To is not E.164');
    if ((r.form.get('Body') ?? '') === '') problems.push('Body missing');
    const from = r.form.get('From');
    const service = r.form.get('MessagingServiceSid');
    if ((from === null) === (service === null)) problems.push('exactly one of From and MessagingServiceSid');
    if (service !== null && !/^MG[0-9a-f]{32}$/i.test(service)) problems.push('MessagingServiceSid is not MG…');
    const callback = r.form.get('StatusCallback');
    if (callback !== null && !/^https?:\/\//.test(callback)) problems.push('StatusCallback is not an absolute URL');
    return problems;
  }

  protected answer(outcome: TwilioOutcome, r: RecordedRequest, violated: boolean): RawAnswer {
    // A request that breaks the contract gets what Twilio would answer: 401 for bad auth, else 400.
    if (violated) {
      const expectedAuth = `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64')}`;
      return r.headers.authorization !== expectedAuth ? error(401, 20003, 'Authenticate') : error(400, 21604, "A 'To' phone number is required.");
    }
    const to = r.form.get('To') ?? '';
    switch (outcome) {
      case 'success':
        return {
          status: 201,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            account_sid: this.accountSid,
            api_version: '2010-04-01',
            body: r.form.get('Body'),
            date_created: new Date().toUTCString(),
            direction: 'outbound-api',
            error_code: null,
            error_message: null,
            from: r.form.get('From'),
            messaging_service_sid: r.form.get('MessagingServiceSid'),
            num_segments: '1',
            price: null,
            sid: `SM${hex(32)}`,
            status: 'queued',
            to,
            uri: `/2010-04-01/Accounts/${this.accountSid}/Messages/SM.json`,
          }),
        };
      case 'auth':
        return error(401, 20003, 'Authenticate');
      case 'invalid-number':
        // Twilio's message echoes the number: the adapter must not pass it on.
        return error(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
      case 'opted-out':
        return error(400, 21610, 'Attempt to send to unsubscribed recipient');
      case 'rate-limited':
        return error(429, 20429, 'Too Many Requests', { 'retry-after': String(this.retryAfterSeconds) });
      case 'server-error':
        return error(500, 20500, 'An internal server error has occurred');
    }
  }

  /** Signs a status callback as Twilio does (independent of the code under test). */
  sign(url: string, params: Record<string, string>, token = this.authToken): string {
    const data = url + Object.keys(params).sort().map((k) => k + params[k]).join('');
    return createHmac('sha1', token).update(data).digest('base64');
  }

  /** Posts a status callback to `url`; `signature: 'bad'` signs with a wrong token, `'none'` omits it. */
  async sendStatusCallback(url: string, params: Record<string, string>, signature: 'good' | 'bad' | 'none' = 'good'): Promise<number> {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'TwilioProxy/1.1' };
    if (signature !== 'none') headers['x-twilio-signature'] = this.sign(url, params, signature === 'good' ? this.authToken : `${this.authToken}x`);
    return deliverCallback(url, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
  }
}
