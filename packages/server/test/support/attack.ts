/**
 * @module attack
 * Helpers for the "possession can never be transferred" suites (issue 8): an integrator back end
 * that survives clock jumps, the steps that bring a session to OTP or Instant Link, readers of the
 * outbox (in-process or over HTTP), and the checks every attack ends with — the status never
 * says success for a number that did not receive the proof, and no Prove Key is bound to it.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import type { UnifyResult } from '@handset/protocol';
import type { ManualClock } from '../../src/ports/clock.js';
import type { TestServer } from '../../src/testing.js';
import type { DeviceKey } from './device-key.js';
import { PA_VERSION } from '@handset/protocol';
import { postJson, ProtocolClient, type Reply } from './protocol-client.js';
import { Backend } from './server-api.js';

/** How a JSON POST reaches the platform: `postJson` (fetch), or {@link KeepAliveTransport}. */
export type PostJson = <T>(url: string, body: unknown, headers?: Record<string, string>) => Promise<Reply<T>>;

/**
 * JSON POSTs over node:http with one keep-alive agent: the same requests as `postJson` (same
 * headers, real sockets), at a fraction of fetch's cost per call — for the property test, which
 * makes tens of thousands of them. `close()` ends its sockets.
 */
export class KeepAliveTransport {
  // `timeout`: a free socket idle that long is dropped before the server's 72-s keep-alive could
  // close it under a reused request (Node 20's agent keeps free sockets forever without one).
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 32, timeout: 5_000 });

  readonly post: PostJson = <T>(url: string, body: unknown, headers: Record<string, string> = {}) =>
    new Promise<Reply<T>>((resolve, reject) => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      const target = new URL(url);
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname + target.search,
          method: 'POST',
          agent: this.#agent,
          headers: {
            accept: 'application/json',
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(text),
            'PA-Version': PA_VERSION,
            ...headers,
          },
        },
        (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (data += chunk));
          res.on('end', () => {
            try {
              resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) as T });
            } catch (error) {
              reject(new Error(`HTTP ${res.statusCode}: not JSON: ${data.slice(0, 200)}`, { cause: error }));
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(text);
    });

  /** A GET that does not follow redirects: status, Location and the body as text. */
  get(url: string): Promise<{ status: number; location: string | null; text: string }> {
    return new Promise((resolve, reject) => {
      const target = new URL(url);
      const req = request(
        { host: target.hostname, port: target.port, path: target.pathname + target.search, method: 'GET', agent: this.#agent },
        (res) => {
          let text = '';
          res.setEncoding('latin1');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location ?? null, text }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** ValidationCode.TOO_MANY_MESSAGES: a resend or change of number past the cap. */
export const TOO_MANY_MESSAGES = 4;
/** ValidationCode.INVALID_OTP / INVALID_PHONE_NUMBER / OTP_EXPIRED. */
export const INVALID_OTP = 1;
export const INVALID_PHONE_NUMBER = 2;
export const OTP_EXPIRED = 3;
/** ClientErrorCode.AUTHENTICATION_PROHIBITED_ACTION ("step not allowed") and MAX_ATTEMPTS. */
export const STEP_NOT_ALLOWED = 10003;
export const MAX_ATTEMPTS = 10005;

export const TARGET = 'https://shop.example.com/verified';
/** A 6-digit code: two sessions' codes (or a stale and a fresh one) coincide once in a million. */
export const SIX_DIGIT_OTP = 'Your code is ######. Do not share it.';

/**
 * A protocol client whose every call first moves a ManualClock on by 1 ms, as real time would:
 * the outbox orders messages by their send time, and messages sent at the same instant of a
 * stopped clock would come out in any order.
 */
export class ClockedClient extends ProtocolClient {
  readonly clock: ManualClock;
  readonly #post: PostJson | null;
  /** `transport` replaces fetch (see {@link KeepAliveTransport}). */
  constructor(authToken: string, clock: ManualClock, endpoint?: string, transport?: PostJson) {
    super(authToken, endpoint);
    this.clock = clock;
    this.#post = transport ?? null;
  }

  override call<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
    this.clock.advance(1);
    if (!this.#post) return super.call<T>(path, body, headers);
    return this.#post<T>(this.endp + path, body, { authorization: `Bearer ${this.authToken}`, ...headers });
  }
}

/** A client for the authToken: a {@link ClockedClient} when a ManualClock is given. */
export function clientFor(authToken: string, options: { clock?: ManualClock | undefined; endpoint?: string | undefined } = {}): ProtocolClient {
  return options.clock ? new ClockedClient(authToken, options.clock, options.endpoint) : new ProtocolClient(authToken, options.endpoint);
}

type Envelope = { next?: string; data?: Record<string, unknown>; error?: { code: number; message: string } };

/**
 * The integrator's back end (`Backend`) over a chosen transport, fetching a new access
 * token when the old one is refused (a ManualClock moved past its hour).
 */
export class Integrator extends Backend {
  readonly #post: PostJson;
  constructor(url: string, credentials: { clientId: string; clientSecret: string }, transport: PostJson = postJson) {
    super(url, credentials.clientId, credentials.clientSecret);
    this.#post = transport;
  }

  static override of(server: TestServer): Integrator {
    return new Integrator(server.url, server);
  }

  override async post<T>(path: string, body: unknown): Promise<Reply<T>> {
    const reply = await this.#post<T>(this.url + path, body, { authorization: `Bearer ${await this.token()}` });
    if (reply.status !== 401) return reply;
    return this.#post<T>(this.url + path, body, { authorization: `Bearer ${await this.token(true)}` });
  }
}

/** Where the outbox is read: the test server in-process, or an instance's `/dev/outbox`. */
export type OutboxSource = TestServer | string;

export interface Sms {
  to: string;
  body: string;
}

/** The outbox, newest first. */
export async function outbox(source: OutboxSource): Promise<Sms[]> {
  if (typeof source !== 'string') return (await source.outbox()).map(({ to, body }) => ({ to, body }));
  const response = await fetch(`${source}/dev/outbox`, { headers: { accept: 'application/json' } });
  return ((await response.json()) as { messages: Sms[] }).messages.map(({ to, body }) => ({ to, body }));
}

export const codeIn = (body: string): string | null => /\b(\d{4,6})\b/.exec(body)?.[1] ?? null;
export const linkIn = (body: string): string | null => /(https?:\/\/\S+)/.exec(body)?.[1] ?? null;

/** All messages to `to`, newest first. */
export async function messagesTo(source: OutboxSource, to: string): Promise<Sms[]> {
  return (await outbox(source)).filter((m) => m.to === to);
}

/** The code of the newest message to `to`. */
export async function latestCode(source: OutboxSource, to: string): Promise<string> {
  const [message] = await messagesTo(source, to);
  const code = message && codeIn(message.body);
  assert.ok(code, `a code was sent to ${to}`);
  return code;
}

/** The link of the newest message to `to`, made to point at `base` (another instance) when given. */
export async function latestLink(source: OutboxSource, to: string, base?: string): Promise<string> {
  const [message] = await messagesTo(source, to);
  const link = message && linkIn(message.body);
  assert.ok(link, `a link was sent to ${to}`);
  return base ? base + new URL(link).pathname : link;
}

/** A code that is not `code` (same length). */
export function wrongCode(code: string): string {
  const first = code[0] === '9' ? '0' : String(Number(code[0]) + 1);
  return first + code.slice(1);
}

/** Opens an Instant Link as the phone's browser does, without following the redirect. */
export async function openLink(link: string): Promise<{ status: number; location: string | null }> {
  const response = await fetch(link, { redirect: 'manual' });
  await response.body?.cancel();
  return { status: response.status, location: response.headers.get('location') };
}

/** The reply's validation code (`data.code`), if any. */
export const dataCode = (reply: Reply): number | undefined => (reply.body as Envelope).data?.code as number | undefined;
export const errorCode = (reply: Reply): number | undefined => (reply.body as Envelope).error?.code;

/** A start that sent a message: OTP `{next: 'mobile/otp'}`, Instant Link `{next: '', data: {}}`. */
export function assertSent(reply: Reply, channel: 'otp' | 'link', what = 'the start'): void {
  assert.equal(reply.status, 200, `${what}: HTTP 200`);
  assert.deepEqual(reply.body, channel === 'otp' ? { next: 'mobile/otp' } : { next: '', data: {} }, `${what} sent a message`);
}

/** A start refused at the resend cap: `data.code` 4 with a message, no `error`. */
export function assertCapped(reply: Reply, channel: 'otp' | 'link', what = 'the start'): void {
  assert.equal(reply.status, 200, `${what}: HTTP 200`);
  const body = reply.body as Envelope;
  assert.equal(body.next, channel === 'otp' ? 'mobile/otp' : '', `${what}: next`);
  assert.equal(body.error, undefined, `${what}: no error: ${JSON.stringify(body)}`);
  assert.equal(body.data?.code, TOO_MANY_MESSAGES, `${what} is refused at the cap: ${JSON.stringify(body)}`);
  assert.equal(typeof body.data?.message, 'string', `${what}: data.message`);
}

/** A step refused because the session's state does not allow it: 200 `{next: '', error: {code: 10003}}`. */
export function assertStepNotAllowed(reply: Reply, what = 'the step'): void {
  assert.equal(reply.status, 200, `${what}: HTTP 200 (${JSON.stringify(reply.body)})`);
  const body = reply.body as Envelope;
  assert.equal(body.next, '', `${what}: next ''`);
  assert.equal(body.error?.code, STEP_NOT_ALLOWED, `${what}: error 10003: ${JSON.stringify(body)}`);
  assert.match(body.error!.message, /^step not allowed: /);
}

/**
 * A step of a session whose window has closed: either its authToken is refused (401 8002, the
 * token expires with the session) or the session answers 10003. Never a 5xx, never a success.
 */
export function assertSessionOver(reply: Reply, what = 'the step'): void {
  if (reply.status === 401) {
    assert.equal((reply.body as unknown as { code: number }).code, 8002, `${what}: 401 8002`);
    return;
  }
  assertStepNotAllowed(reply, what);
}

/** The status is not a success for `phone`, and not a success at all unless for `unlessFor`. */
export async function assertNoSuccessFor(integrator: Integrator, correlationId: string, phone: string, what = 'status'): Promise<UnifyResult> {
  const status = await integrator.status(correlationId);
  assert.ok(
    !(status.success === 'true' && status.phoneNumber === phone),
    `${what}: success "true" for ${phone}, which never received the proof: ${JSON.stringify(status)}`,
  );
  return status;
}

/** The status is exactly a success for `phone`. */
export async function assertSuccessFor(integrator: Integrator, correlationId: string, phone: string, deviceId?: string | null): Promise<UnifyResult> {
  const status = await integrator.status(correlationId);
  assert.equal(status.success, 'true', `success: ${JSON.stringify(status)}`);
  assert.equal(status.phoneNumber, phone, 'the number that received the proof');
  assert.ok(status.proveId, 'a proveId');
  if (deviceId !== undefined) assert.equal(status.deviceId, deviceId ?? undefined, 'deviceId');
  return status;
}

/**
 * The Prove Key is not bound to `phone` (for this client): a new mobile session for `phone` that
 * verifies the key does not end at once; it still needs possession.
 */
export async function assertKeyNotBoundTo(integrator: Integrator, key: DeviceKey, phone: string, endpoint?: string): Promise<void> {
  if (!key.deviceId) return;
  const started = await integrator.unify({ possessionType: 'mobile', phoneNumber: phone });
  const client = clientFor(started.authToken!, { endpoint });
  const verified = await client.verify(key);
  assert.equal(verified.status, 200);
  assert.notEqual(verified.body.next, 'done', `the key verified for ${phone} with no possession step: it was bound to ${phone}`);
  const status = await integrator.status(started.correlationId);
  assert.equal(status.success, 'pending', `a session for ${phone} with the key needs possession: ${JSON.stringify(status)}`);
}

/** The Prove Key is bound to `phone`: a new mobile session for `phone` ends at the device step. */
export async function assertKeyBoundTo(integrator: Integrator, key: DeviceKey, phone: string, endpoint?: string): Promise<void> {
  const started = await integrator.unify({ possessionType: 'mobile', phoneNumber: phone });
  const client = new ProtocolClient(started.authToken!, endpoint);
  assert.deepEqual((await client.verify(key)).body, { next: 'done' }, `the key is bound to ${phone}`);
  await assertSuccessFor(integrator, started.correlationId, phone, key.deviceId);
}

export interface MobileAtOtp {
  correlationId: string;
  client: ProtocolClient;
  key: DeviceKey;
}

/**
 * A mobile session for `phone` brought to the OTP step the way the Web SDK gets there: register
 * a new Prove Key, Mobile Auth refused by the carrier (reported), then code entry.
 */
export async function mobileSessionAtOtp(
  integrator: Integrator,
  phone: string,
  key: DeviceKey,
  options: { allowOTPRetry?: boolean; endpoint?: string; smsMessage?: string; clock?: ManualClock } = {},
): Promise<MobileAtOtp> {
  const started = await integrator.unify({
    possessionType: 'mobile',
    phoneNumber: phone,
    allowOTPRetry: options.allowOTPRetry ?? false,
    smsMessage: options.smsMessage ?? SIX_DIGIT_OTP,
  });
  const client = clientFor(started.authToken!, options);
  const registered = await client.deviceStep(key);
  assert.equal(registered.body.next, 'mobile/instant', `device step: ${JSON.stringify(registered.body)}`);
  const ma = await client.mobileAuth();
  assert.equal(ma.carrierStatus, 404, 'the sandbox carrier does not recognise the number');
  assert.equal((await client.reportError('mobile/instant', 'carrier refused', 10001)).body.next, 'mobile/otp');
  return { correlationId: started.correlationId, client, key };
}

export interface DesktopSession {
  correlationId: string;
  client: ProtocolClient;
}

export async function desktopSession(
  integrator: Integrator,
  phone: string,
  options: { endpoint?: string; clock?: ManualClock } = {},
): Promise<DesktopSession> {
  const started = await integrator.unify({ possessionType: 'desktop', phoneNumber: phone, finalTargetUrl: TARGET });
  return { correlationId: started.correlationId, client: clientFor(started.authToken!, options) };
}

/** Asserts that the redirect of an opened Instant Link goes to the final target with asc=true. */
export function assertRedirected(opened: { status: number; location: string | null }, what = 'the link'): void {
  assert.equal(opened.status, 302, `${what} redirects`);
  assert.equal(new URL(opened.location!).searchParams.get('asc'), 'true');
}

/** A dead link: 404 ("Link not valid") or 410 ("Link expired"), never a redirect. */
export function assertDeadLink(opened: { status: number }, what = 'the link'): void {
  assert.ok(opened.status === 404 || opened.status === 410, `${what} answers 404 or 410, got ${opened.status}`);
}
