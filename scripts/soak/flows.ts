/**
 * @module soak/flows
 * The three flows the soak mixes and `npm run bench:flows` measures, each run end to end over real
 * HTTP and WebSocket as an integrator's back end and a browser would: mobile with SMS OTP (the
 * carrier does not know the number), desktop Instant Link with the status socket, and
 * customer-supplied possession bound with unify-bind. Each flow throws on any answer it did not
 * expect.
 *
 * A flow runs against a {@link FlowTarget}: one instance, or several sharing one database, in which
 * case its calls alternate between them (the desktop's status socket and the phone's link land on
 * different instances, so the release crosses them). The bench times every call through
 * {@link FlowTarget.timed}; the soak leaves it out.
 *
 * The client side is lean on purpose (it runs on one core next to a server that should do ~1,500
 * flows/s): `node:http` keep-alive connections ({@link JsonHttp}) instead of `fetch`, Prove Keys
 * made before the clock starts ({@link DeviceKeyPool}), request bodies built as strings, and the
 * access token read once per back end.
 */
import { ClientPath, PA_VERSION, type UnifyResponse, type UnifyResult } from '@handset/protocol';
import type { OutgoingHttpHeaders } from 'node:http';
import { latestSms } from '../../packages/server/test/support/instances.js';
import { spreadNumber } from '../../packages/server/test/support/numbers.js';
import type { Backend } from '../../packages/server/test/support/server-api.js';
import { DeviceKeyPool, type PooledKey } from './device-key-pool.js';
import { JsonHttp, type JsonReply } from './json-http.js';
import { WaitingDesktop } from './status-socket-client.js';

export const FLOWS = ['mobile-otp', 'desktop-link', 'customer-bind'] as const;
export type FlowName = (typeof FLOWS)[number];

/** The code or link path of the SMS a flow's session sent. */
export interface SentSms {
  code: string | null;
  linkPath: string | null;
}

/** Where a flow runs and how it reads the phone's SMS. */
export interface FlowTarget {
  /** Instance URLs (one, or several on one database); `backends[i]` is the integrator on `urls[i]`. */
  urls: readonly string[];
  backends: readonly Backend[];
  /**
   * The SMS the session `correlationId` sent to `phone`. Default: the newest message to `phone` in
   * the dev outbox of the first instance, over HTTP.
   */
  sms?(phone: string, correlationId: string): Promise<SentSms>;
  /** Wraps every request of a flow under a short name (the bench records its latency). */
  timed?<T>(call: string, run: () => Promise<T>): Promise<T>;
  /**
   * Whether the mobile flow tries Mobile Auth (start, then the carrier) before it reports the
   * error. Default true (the soak); the bench's six-request flow reports the error at once.
   */
  tryMobileAuth?: boolean;
  /** The HTTP client (default: one shared by every target without one). */
  http?: JsonHttp;
  /** Where registering flows take their Prove Keys (default: a shared pool that makes them on demand). */
  keys?: DeviceKeyPool;
}

const sharedHttp = new JsonHttp();
const sharedKeys = new DeviceKeyPool();

function expect(condition: boolean, what: string, got: unknown): void {
  if (!condition) throw new Error(`${what}: got ${JSON.stringify(got).slice(0, 200)}`);
}

/**
 * A number no other flow of the run uses, each flow in its own range (the number without its last
 * four digits): the default fraud policy caps texts per range (50 an hour) and per number, and a
 * soak or benchmark sending thousands of texts to one range would be measuring the policy's
 * denials (docs/decisions.md E3). The tests' generator, so that both skip the same numbers.
 */
export const phoneFor: (sequence: number) => string = spreadNumber;

interface Envelope {
  next?: string;
  data?: { deviceId?: string; redirectUrl?: string };
  error?: unknown;
}

/** The session challenge in an authToken's payload (decoded the SDK's way, unverified). */
function challengeOf(authToken: string): string {
  const start = authToken.indexOf('.') + 1;
  const payload = authToken.slice(start, authToken.indexOf('.', start));
  return (JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as { auth: { chlg: string } }).auth.chlg;
}

/** One flow's view of its target: the next instance in turn, the timer, the SMS reader, the calls. */
class Route {
  readonly #target: FlowTarget;
  readonly http: JsonHttp;
  #turn: number;
  constructor(target: FlowTarget, sequence: number) {
    this.#target = target;
    this.http = target.http ?? sharedHttp;
    this.#turn = sequence % target.urls.length;
  }
  /** The index of the instance the next call goes to (calls alternate between instances). */
  next(): number {
    const index = this.#turn;
    this.#turn = (this.#turn + 1) % this.#target.urls.length;
    return index;
  }
  url(index: number): string {
    return this.#target.urls[index]!;
  }
  /** An instance other than `index`, when there is one. */
  other(index: number): number {
    return (index + 1) % this.#target.urls.length;
  }
  key(): PooledKey {
    return (this.#target.keys ?? sharedKeys).take();
  }
  time<T>(call: string, run: () => Promise<T>): Promise<T> {
    return this.#target.timed ? this.#target.timed(call, run) : run();
  }
  sms(phone: string, correlationId: string): Promise<SentSms> {
    return this.#target.sms ? this.#target.sms(phone, correlationId) : latestSms(this.url(0), phone);
  }
  /** A back-end call (`/v3/…`) on the next instance, with its integrator's access token. */
  async server<T>(path: string, body: string): Promise<JsonReply<T>> {
    const index = this.next();
    const token = await this.#target.backends[index]!.token();
    return this.http.post<T>(this.url(index), path, body, { accept: 'application/json', authorization: `Bearer ${token}` });
  }
  /** A client-protocol call (`/v1/client/…`) on the next instance, as the Web SDK sends it. */
  client(path: string, body: string, headers: OutgoingHttpHeaders): Promise<JsonReply<Envelope>> {
    return this.http.post<Envelope>(this.url(this.next()), path, body, headers);
  }
}

/** The headers of every client-protocol call of a session. */
function sdkHeaders(authToken: string): OutgoingHttpHeaders {
  return { accept: 'application/json', 'pa-version': PA_VERSION, authorization: `Bearer ${authToken}` };
}

async function unify(route: Route, body: Record<string, string>): Promise<UnifyResponse> {
  const reply = await route.time('unify', () => route.server<UnifyResponse>('/v3/unify', JSON.stringify({ clientRequestId: 'test-request', ...body })));
  expect(reply.status === 200 && typeof reply.body.authToken === 'string', 'unify', reply);
  return reply.body;
}

async function status(route: Route, correlationId: string): Promise<UnifyResult> {
  const reply = await route.time('unify-status', () => route.server<UnifyResult>('/v3/unify-status', `{"correlationId":${JSON.stringify(correlationId)}}`));
  expect(reply.status === 200, 'status', reply);
  return reply.body;
}

/** The Prove Key registration (passive register): a fresh key, the session challenge signed. */
function register(route: Route, authToken: string, headers: OutgoingHttpHeaders): Promise<JsonReply<Envelope>> {
  const key = route.key();
  const body = JSON.stringify({
    deviceName: 'Node test',
    deviceCapabilities: [],
    registrations: [{ publicKey: { id: key.keyId, alg: 'ES256', key: key.publicKeyPem, uvLevel: 0 }, signature: key.sign(challengeOf(authToken)) }],
    signals: {},
  });
  return route.time('register', () => route.client(ClientPath.DEVICE_PASSIVE_REGISTER, body, headers));
}

/** Mobile Auth with the fetch implementation, as the soak runs it: start, then the carrier's URL. */
async function mobileAuth(route: Route, headers: OutgoingHttpHeaders): Promise<number> {
  const start = await route.client(ClientPath.MOBILE_INSTANT_START, '{"cellularIp":null,"implementation":"fetch"}', headers);
  const redirectUrl = start.body?.data?.redirectUrl;
  return redirectUrl ? route.http.get(`${redirectUrl}?r=f&sdkVersion=3.2.5`) : 0;
}

async function mobileOtp(target: FlowTarget, route: Route, phone: string): Promise<void> {
  const started = await unify(route, { possessionType: 'mobile', phoneNumber: phone });
  const headers = sdkHeaders(started.authToken!);
  const registered = await register(route, started.authToken!, headers);
  expect(registered.body?.next === 'mobile/instant', 'register', registered.body);
  if (target.tryMobileAuth ?? true) {
    const carrierStatus = await mobileAuth(route, headers);
    expect(carrierStatus === 404, 'the carrier does not know the number', carrierStatus);
  }
  const fallback = await route.time('mobile-auth error', () =>
    route.client('/v1/client/mobile/instant/error', '{"code":10002,"message":"Mobile Auth failed"}', headers),
  );
  expect(fallback.body?.next === 'mobile/otp', 'fallback to OTP', fallback.body);
  const otp = await route.time('otp start', () => route.client(ClientPath.MOBILE_OTP_START, '{}', headers));
  expect(otp.status === 200, 'otp start', otp.body);
  const { code } = await route.sms(phone, started.correlationId);
  const finished = await route.time('otp finish', () => route.client(ClientPath.MOBILE_OTP_FINISH, `{"otp":${JSON.stringify(code ?? '')}}`, headers));
  expect(finished.body?.next === 'done', 'otp finish', finished.body);
  const result = await status(route, started.correlationId);
  expect(result.success === 'true', 'status', result);
}

async function desktopLink(_target: FlowTarget, route: Route, phone: string): Promise<void> {
  const started = await unify(route, { possessionType: 'desktop', phoneNumber: phone, finalTargetUrl: 'https://soak.example/done' });
  const headers = sdkHeaders(started.authToken!);
  const socketAt = route.next();
  const socket = await route.time('socket open', () => WaitingDesktop.open(route.url(socketAt), started.authToken!));
  try {
    const linkStart = await route.time('instantlink start', () => route.client(ClientPath.MOBILE_INSTANTLINK_START, '{"sourceIp":null,"isMobile":false}', headers));
    expect(linkStart.status === 200, 'instant link start', linkStart.body);
    const { linkPath } = await route.sms(phone, started.correlationId);
    // The phone opens the link on another instance than the desktop's socket, when there is one.
    const linkUrl = route.url(route.other(socketAt)) + (linkPath ?? '');
    const opened = await route.time('link open', () => route.http.get(linkUrl));
    expect(opened === 302, 'the link redirects', opened);
    const message = await route.time('socket release', () => socket.next(30_000));
    expect(message === '{"next":"done"}', 'the status socket says done', message);
  } finally {
    socket.close();
  }
  const result = await status(route, started.correlationId);
  expect(result.success === 'true', 'status', result);
}

async function customerBind(_target: FlowTarget, route: Route, phone: string): Promise<void> {
  const started = await unify(route, { possessionType: 'none', phoneNumber: phone });
  const registered = await register(route, started.authToken!, sdkHeaders(started.authToken!));
  expect(registered.body?.next === 'done', 'register', registered.body);
  const required = await status(route, started.correlationId);
  expect(required.success === 'possession_required', 'status before bind', required);
  const bound = await route.time('unify-bind', () =>
    route.server<UnifyResult>('/v3/unify-bind', JSON.stringify({ correlationId: started.correlationId, phoneNumber: phone })),
  );
  expect(bound.status === 200 && bound.body.success === 'true', 'bind', bound);
}

const RUNNERS: Record<FlowName, (target: FlowTarget, route: Route, phone: string) => Promise<void>> = {
  'mobile-otp': mobileOtp,
  'desktop-link': desktopLink,
  'customer-bind': customerBind,
};

/**
 * Runs one flow of kind `name` as flow number `sequence` (its phone number, and which instance
 * its first call goes to).
 */
export function runNamedFlow(name: FlowName, target: FlowTarget, sequence: number): Promise<void> {
  return RUNNERS[name](target, new Route(target, sequence), phoneFor(sequence));
}

/** Runs flow number `sequence` of the soak's mix (the three kinds in turn) on one instance. */
export function runFlow(url: string, backend: Backend, sequence: number): Promise<void> {
  return runNamedFlow(FLOWS[sequence % FLOWS.length]!, { urls: [url], backends: [backend] }, sequence);
}
