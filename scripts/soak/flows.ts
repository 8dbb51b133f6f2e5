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
 */
import { DeviceKey } from '../../packages/server/test/support/device-key.js';
import { latestSms } from '../../packages/server/test/support/instances.js';
import { ProtocolClient } from '../../packages/server/test/support/protocol-client.js';
import type { Backend } from '../../packages/server/test/support/server-api.js';

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
}

function expect(condition: boolean, what: string, got: unknown): void {
  if (!condition) throw new Error(`${what}: got ${JSON.stringify(got).slice(0, 200)}`);
}

/** Ranges `+1 NPA NXX` with NPA 200–899 (not 900: premium rate) and NXX 200–999. */
const RANGES = 700 * 800;

/**
 * A number no other flow of the run uses, each flow in its own range (the number without its last
 * four digits) until 560,000 flows have run: the default fraud policy caps texts per range (50 an
 * hour) and per number, and a soak or benchmark sending thousands of texts to one range would be
 * measuring the policy's denials (docs/decisions.md E3).
 */
export function phoneFor(sequence: number): string {
  const range = sequence % RANGES;
  const npa = 200 + Math.floor(range / 800);
  const nxx = 200 + (range % 800);
  const line = Math.floor(sequence / RANGES) % 10_000;
  return `+1${npa}${nxx}${String(line).padStart(4, '0')}`;
}

/** One flow's view of its target: the next instance in turn, the timer, the SMS reader. */
class Route {
  readonly #target: FlowTarget;
  #turn: number;
  constructor(target: FlowTarget, sequence: number) {
    this.#target = target;
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
  backend(index: number): Backend {
    return this.#target.backends[index]!;
  }
  time<T>(call: string, run: () => Promise<T>): Promise<T> {
    return this.#target.timed ? this.#target.timed(call, run) : run();
  }
  sms(phone: string, correlationId: string): Promise<SentSms> {
    return this.#target.sms ? this.#target.sms(phone, correlationId) : latestSms(this.url(0), phone);
  }
}

async function mobileOtp(target: FlowTarget, route: Route, phone: string): Promise<void> {
  const started = await route.time('unify', () => route.backend(route.next()).unify({ possessionType: 'mobile', phoneNumber: phone }));
  const client = new ProtocolClient(started.authToken!);
  const key = new DeviceKey();
  const at = (): ProtocolClient => client.via(route.url(route.next()));
  const registered = await route.time('register', () => at().deviceStep(key));
  expect(registered.body.next === 'mobile/instant', 'register', registered.body);
  if (target.tryMobileAuth ?? true) {
    const mobileAuth = await at().mobileAuth();
    expect(mobileAuth.carrierStatus === 404, 'the carrier does not know the number', mobileAuth.carrierStatus);
  }
  const fallback = await route.time('mobile-auth error', () => at().reportError('mobile/instant', 'Mobile Auth failed', 10002));
  expect(fallback.body.next === 'mobile/otp', 'fallback to OTP', fallback.body);
  const otp = await route.time('otp start', () => at().otpStart());
  expect(otp.status === 200, 'otp start', otp.body);
  const { code } = await route.sms(phone, started.correlationId);
  const finished = await route.time('otp finish', () => at().otpFinish(code ?? ''));
  expect(finished.body.next === 'done', 'otp finish', finished.body);
  const status = await route.time('unify-status', () => route.backend(route.next()).status(started.correlationId));
  expect(status.success === 'true', 'status', status);
}

async function desktopLink(_target: FlowTarget, route: Route, phone: string): Promise<void> {
  const started = await route.time('unify', () =>
    route.backend(route.next()).unify({ possessionType: 'desktop', phoneNumber: phone, finalTargetUrl: 'https://soak.example/done' }),
  );
  const client = new ProtocolClient(started.authToken!);
  const socketAt = route.next();
  const socket = await route.time('socket open', () => client.via(route.url(socketAt)).openStatusSocket());
  try {
    const linkStart = await route.time('instantlink start', () => client.via(route.url(route.next())).instantLinkStart());
    expect(linkStart.status === 200, 'instant link start', linkStart.body);
    const { linkPath } = await route.sms(phone, started.correlationId);
    // The phone opens the link on another instance than the desktop's socket, when there is one.
    const linkUrl = route.url(route.other(socketAt)) + (linkPath ?? '');
    const opened = await route.time('link open', async () => {
      const response = await fetch(linkUrl, { redirect: 'manual', signal: AbortSignal.timeout(30_000) });
      await response.body?.cancel();
      return response;
    });
    expect(opened.status === 302, 'the link redirects', opened.status);
    const message = await route.time('socket release', () => socket.next(30_000));
    expect(message === '{"next":"done"}', 'the status socket says done', message);
  } finally {
    socket.close();
  }
  const status = await route.time('unify-status', () => route.backend(route.next()).status(started.correlationId));
  expect(status.success === 'true', 'status', status);
}

async function customerBind(_target: FlowTarget, route: Route, phone: string): Promise<void> {
  const started = await route.time('unify', () => route.backend(route.next()).unify({ possessionType: 'none', phoneNumber: phone }));
  const client = new ProtocolClient(started.authToken!);
  const key = new DeviceKey();
  const registered = await route.time('register', () => client.via(route.url(route.next())).deviceStep(key));
  expect(registered.body.next === 'done', 'register', registered.body);
  const required = await route.time('unify-status', () => route.backend(route.next()).status(started.correlationId));
  expect(required.success === 'possession_required', 'status before bind', required);
  const bound = await route.time('unify-bind', () => route.backend(route.next()).bind(started.correlationId, phone));
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
