/**
 * @module soak/flows
 * The three flows the soak mixes, each run end to end over real HTTP and WebSocket as an
 * integrator's back end and a browser would: mobile with SMS OTP (the carrier does not know the
 * number), desktop Instant Link with the status socket, and customer-supplied possession bound
 * with unify-bind. Each flow throws on any answer it did not expect.
 */
import { DeviceKey } from '../../packages/server/test/support/device-key.js';
import { latestSms } from '../../packages/server/test/support/instances.js';
import { ProtocolClient } from '../../packages/server/test/support/protocol-client.js';
import type { Backend } from '../../packages/server/test/support/server-api.js';

export const FLOWS = ['mobile-otp', 'desktop-link', 'customer-bind'] as const;
export type FlowName = (typeof FLOWS)[number];

function expect(condition: boolean, what: string, got: unknown): void {
  if (!condition) throw new Error(`${what}: got ${JSON.stringify(got).slice(0, 200)}`);
}

/** A number no other flow of the run uses (E.164, +1 202 5xx xxxx). */
export function phoneFor(sequence: number): string {
  return `+1202${5_000_000 + (sequence % 1_000_000)}`;
}

async function mobileOtp(url: string, backend: Backend, phone: string): Promise<void> {
  const started = await backend.unify({ possessionType: 'mobile', phoneNumber: phone });
  const client = new ProtocolClient(started.authToken!);
  const registered = await client.deviceStep(new DeviceKey());
  expect(registered.body.next === 'mobile/instant', 'register', registered.body);
  const mobileAuth = await client.mobileAuth();
  expect(mobileAuth.carrierStatus === 404, 'the carrier does not know the number', mobileAuth.carrierStatus);
  const fallback = await client.reportError('mobile/instant', 'Mobile Auth failed', 10002);
  expect(fallback.body.next === 'mobile/otp', 'fallback to OTP', fallback.body);
  await client.otpStart();
  const { code } = await latestSms(url, phone);
  const finished = await client.otpFinish(code ?? '');
  expect(finished.body.next === 'done', 'otp finish', finished.body);
  const status = await backend.status(started.correlationId);
  expect(status.success === 'true', 'status', status);
}

async function desktopLink(url: string, backend: Backend, phone: string): Promise<void> {
  const started = await backend.unify({ possessionType: 'desktop', phoneNumber: phone, finalTargetUrl: 'https://soak.example/done' });
  const client = new ProtocolClient(started.authToken!);
  const socket = await client.openStatusSocket();
  try {
    await client.instantLinkStart();
    const { linkPath } = await latestSms(url, phone);
    const opened = await fetch(url + (linkPath ?? ''), { redirect: 'manual', signal: AbortSignal.timeout(30_000) });
    await opened.body?.cancel();
    expect(opened.status === 302, 'the link redirects', opened.status);
    const message = await socket.next(30_000);
    expect(message === '{"next":"done"}', 'the status socket says done', message);
  } finally {
    socket.close();
  }
  const status = await backend.status(started.correlationId);
  expect(status.success === 'true', 'status', status);
}

async function customerBind(_url: string, backend: Backend, phone: string): Promise<void> {
  const started = await backend.unify({ possessionType: 'none', phoneNumber: phone });
  const client = new ProtocolClient(started.authToken!);
  const registered = await client.deviceStep(new DeviceKey());
  expect(registered.body.next === 'done', 'register', registered.body);
  const required = await backend.status(started.correlationId);
  expect(required.success === 'possession_required', 'status before bind', required);
  const bound = await backend.bind(started.correlationId, phone);
  expect(bound.status === 200 && bound.body.success === 'true', 'bind', bound);
}

const RUNNERS: Record<FlowName, (url: string, backend: Backend, phone: string) => Promise<void>> = {
  'mobile-otp': mobileOtp,
  'desktop-link': desktopLink,
  'customer-bind': customerBind,
};

/** Runs flow number `sequence` of the mix (the three kinds in turn). */
export function runFlow(url: string, backend: Backend, sequence: number): Promise<void> {
  return RUNNERS[FLOWS[sequence % FLOWS.length]!](url, backend, phoneFor(sequence));
}
