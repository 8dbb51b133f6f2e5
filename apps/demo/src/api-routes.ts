/**
 * @module api-routes
 * The demo back end's JSON API, the integrator's half of the seed flow:
 *
 * - `POST /api/start {phoneNumber, flow, rebind?}` → `/v3/unify` → `{authToken}` for the browser SDK
 *   (`correlationId` stays here, keyed by the token's authId); `flow: returning` sends no number;
 * - `POST /api/verify {authId}` (the SDK's finish step) → `/v3/unify-status` → the outcome in plain
 *   words; on `possession_required` the demo starts its own possession check (for a returning
 *   customer, once the person has given a number: `numberNeeded`);
 * - `POST /api/check/start {authId, phoneNumber}` → the number for a returning customer's check,
 *   and its code;
 * - `POST /api/check/resend {authId}` → a new code for that check;
 * - `POST /api/bind {authId, code}` → the demo's check, then `/v3/unify-bind`;
 * - `GET /api/inbox`, `GET /api/config`.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, isHandsetError, type Handset, type V3UnifyRequest } from '@handset/node';
import { authIdOf } from './auth-token.js';
import type { DemoInbox, InboxMessage } from './demo-inbox.js';
import { explain, type CheckView, type DemoFlow, type OutcomeView } from './explain.js';
import type { FlowRecord, FlowStore } from './flow-store.js';
import { DemoHttpError } from './http-util.js';
import { compactPhone, maskPhone } from './phone.js';
import { checkView, confirmCheck, startCheck, type CheckFailure } from './possession-check.js';

/** What the page needs to know about its surroundings. */
export interface DemoConfigView {
  handsetUrl: string;
  outboxUrl: string;
  /** A number whose Mobile Auth succeeds at the development carrier, shown as a hint. */
  mobileAuthNumber?: string;
}

/** What `/api/start` answers. */
export interface StartView {
  authToken: string;
  flow: DemoFlow;
}

/** What the demo API needs. */
export interface ApiDeps {
  handset: Handset;
  flows: FlowStore;
  inbox: DemoInbox;
  config: DemoConfigView;
  /** The demo's public origin: the desktop flow's finalTargetUrl is `{publicUrl}/instant-link-done`. */
  publicUrl: string;
  now(): Date;
  log(line: string): void;
}

const FLOWS: Readonly<Record<DemoFlow, V3UnifyRequest['possessionType']>> = {
  mobile: 'mobile',
  desktop: 'desktop',
  customer: 'none',
  returning: 'none',
};

const CHECK_MESSAGES: Readonly<Record<CheckFailure, [number, string]>> = {
  no_check: [409, 'No possession check is waiting for this session. Start again.'],
  expired: [410, 'That code has expired. Send a new code.'],
  wrong_code: [400, 'That code is not right.'],
  too_many_attempts: [429, 'Too many wrong codes. Send a new code or start again.'],
};

function text(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value.trim() === '') throw new DemoHttpError(400, 'invalid_request', `'${field}' is missing`);
  return value.trim();
}

/** Maps a failure of a Handset call to the demo's own answer (never forwarding secrets). */
function handsetFailure(error: unknown, deps: ApiDeps, operation: string): DemoHttpError {
  if (!isHandsetError(error)) {
    deps.log(`${operation} failed: ${(error as Error).message}`);
    return new DemoHttpError(500, 'internal', 'Something went wrong in the demo.');
  }
  deps.log(`${operation} failed: ${error.kind} ${error.status ?? ''} ${error.code ?? ''} ${error.message}`);
  switch (error.kind) {
    case 'bad_request':
      return error.code === ErrorCode.INVALID_CORRELATION_ID
        ? new DemoHttpError(410, 'session_over', 'This check is over at Handset (it expired or was cleaned up). Start again.')
        : new DemoHttpError(400, 'handset_rejected', `Handset rejected the request: ${error.message}`);
    case 'forbidden':
      return new DemoHttpError(409, 'step_not_allowed', `Handset refused this step: ${error.message}`);
    case 'rate_limited':
      return new DemoHttpError(429, 'rate_limited', 'Handset is busy. Try again in a moment.', {
        'retry-after': String(Math.ceil((error.retryAfterMs ?? 1000) / 1000)),
      });
    case 'unauthorized':
      return new DemoHttpError(502, 'handset_unavailable', "Handset refused the demo's client credentials.");
    default:
      return new DemoHttpError(502, 'handset_unavailable', 'Handset could not be reached or failed. Try again.');
  }
}

function numberForLog(phoneNumber: string | undefined): string {
  return phoneNumber ? maskPhone(phoneNumber) : 'no number typed';
}

function flowOf(deps: ApiDeps, body: Record<string, unknown>): FlowRecord {
  const record = deps.flows.get(text(body, 'authId'), deps.now().getTime());
  if (!record) throw new DemoHttpError(404, 'unknown_flow', 'The demo knows no such check (it may be older than 30 minutes). Start again.');
  return record;
}

/** `POST /api/start`. */
export async function startFlow(deps: ApiDeps, body: Record<string, unknown>): Promise<StartView> {
  const flow = body.flow;
  if (flow !== 'mobile' && flow !== 'desktop' && flow !== 'customer' && flow !== 'returning') {
    throw new DemoHttpError(400, 'invalid_request', "'flow' must be mobile, desktop, customer or returning");
  }
  // A returning customer types nothing: the browser's Prove Key, if bound, tells Handset the number.
  const phoneNumber = flow === 'returning' ? undefined : compactPhone(body.phoneNumber);
  if (phoneNumber === null) throw new DemoHttpError(400, 'invalid_request', 'Enter a phone number, for example +1 202 555 0100.');
  if (body.rebind !== undefined && typeof body.rebind !== 'boolean') {
    throw new DemoHttpError(400, 'invalid_request', "'rebind' must be true or false");
  }
  const rebind = body.rebind === true && flow !== 'returning';
  const request: V3UnifyRequest = {
    possessionType: FLOWS[flow],
    clientRequestId: randomUUID(),
    ...(phoneNumber ? { phoneNumber } : {}),
    allowOTPRetry: true,
    ...(flow === 'desktop' ? { finalTargetUrl: `${deps.publicUrl}/instant-link-done` } : {}),
    ...(rebind ? { rebind: true } : {}),
  };
  let started;
  try {
    started = (await deps.handset.v3.v3UnifyRequest(request)).v3UnifyResponse;
  } catch (error) {
    throw handsetFailure(error, deps, 'unify');
  }
  const authId = started.authToken ? authIdOf(started.authToken) : null;
  if (!started.authToken || !authId) throw new DemoHttpError(502, 'handset_unavailable', 'Handset answered without a usable authToken.');
  deps.flows.add({
    authId,
    correlationId: started.correlationId,
    flow,
    ...(phoneNumber ? { phoneNumber } : {}),
    rebind,
    startedAt: deps.now().getTime(),
  });
  deps.log(`started a ${flow} check for ${numberForLog(phoneNumber)}${rebind ? ' (rebind)' : ''}`);
  return { authToken: started.authToken, flow };
}

/** `POST /api/verify`: the finish step. */
export async function verifyFlow(deps: ApiDeps, body: Record<string, unknown>): Promise<OutcomeView> {
  const record = flowOf(deps, body);
  let status;
  try {
    status = (await deps.handset.v3.v3UnifyStatusRequest({ correlationId: record.correlationId })).v3UnifyStatusResponse;
  } catch (error) {
    throw handsetFailure(error, deps, 'unify-status');
  }
  const view = explain(status, { flow: record.flow, via: 'status', rebind: record.rebind });
  if (status.success === 'possession_required') {
    record.possessionRequired = true;
    if (record.phoneNumber) {
      // Idempotent: the desktop and a second call (a reload, the phone side) see the same check.
      record.check ??= startCheck(record.phoneNumber, deps.inbox, deps.now());
      view.check = checkView(record.check, record.phoneNumber);
    } else {
      // A returning customer whose browser's key is bound to nothing: ask for the number first.
      view.numberNeeded = true;
    }
  }
  deps.log(`status of a ${record.flow} check for ${numberForLog(record.phoneNumber)}: ${status.success}`);
  return view;
}

/**
 * `POST /api/check/start`: a returning customer's browser needs the demo's own check, and the
 * person now gives the number. Sends the code to it; giving another number later sends a fresh
 * code there, and the earlier code stops working (a code proves only the number it went to).
 */
export async function startOwnCheck(deps: ApiDeps, body: Record<string, unknown>): Promise<CheckView> {
  const record = flowOf(deps, body);
  if (record.flow !== 'returning' || !record.possessionRequired) {
    throw new DemoHttpError(409, 'no_check', 'This session is not waiting for a number. Start again.');
  }
  const phoneNumber = compactPhone(body.phoneNumber);
  if (!phoneNumber) throw new DemoHttpError(400, 'invalid_request', 'Enter a phone number, for example +1 202 555 0100.');
  record.phoneNumber = phoneNumber;
  record.check = startCheck(phoneNumber, deps.inbox, deps.now());
  deps.log(`a returning customer gave ${maskPhone(phoneNumber)} for the demo's own check`);
  return checkView(record.check, phoneNumber);
}

/** `POST /api/check/resend`: a new code for the demo's own check. */
export async function resendCheck(deps: ApiDeps, body: Record<string, unknown>): Promise<OutcomeView['check']> {
  const record = flowOf(deps, body);
  if (!record.check || !record.phoneNumber) throw new DemoHttpError(409, 'no_check', CHECK_MESSAGES.no_check[1]);
  record.check = startCheck(record.phoneNumber, deps.inbox, deps.now());
  return checkView(record.check, record.phoneNumber);
}

/** `POST /api/bind`: the demo's own check, then `/v3/unify-bind`. */
export async function bindFlow(deps: ApiDeps, body: Record<string, unknown>): Promise<OutcomeView> {
  const record = flowOf(deps, body);
  const code = text(body, 'code');
  const failure = confirmCheck(record.phoneNumber ? record.check : undefined, code, deps.now());
  if (failure) {
    const [status, message] = CHECK_MESSAGES[failure];
    const left = record.check?.attemptsLeft ?? 0;
    throw new DemoHttpError(status, failure, failure === 'wrong_code' ? `${message} ${left} ${left === 1 ? 'try' : 'tries'} left.` : message);
  }
  const phoneNumber = record.phoneNumber!; // a check exists only with its number
  let bound;
  try {
    bound = (await deps.handset.v3.v3UnifyBindRequest({ correlationId: record.correlationId, phoneNumber })).v3UnifyBindResponse;
  } catch (error) {
    throw handsetFailure(error, deps, 'unify-bind');
  }
  delete record.check;
  record.possessionRequired = false;
  deps.log(`bound after the demo's own check for ${maskPhone(phoneNumber)}: ${bound.success}`);
  return explain(bound, { flow: record.flow, via: 'bind', rebind: record.rebind });
}

/** `GET /api/inbox`. */
export function inboxMessages(deps: ApiDeps): { messages: InboxMessage[] } {
  return { messages: deps.inbox.list() };
}
