/**
 * @module steps/instant-link
 * `mobile/instantlink` (`client-protocol.md` §3.3, §5). On a desktop (not mobile web) the status
 * WebSocket opens at step start, in parallel with the start call, and whichever settles first wins.
 * The start reply is handled by the decision table of §3.3, in order: `error`; `next` "done";
 * another `next` (reportable error); `data` with `code`/`message` (phone validation error → ask
 * again); other `data` (wait: the HTTP branch never settles); neither (retry callback, or resolve
 * with `next`). On mobile web there is no socket: a "wait" reply keeps the step pending until the
 * flow is cancelled (completion happens on the link's landing page via `finishInstantLink`).
 */
import { ClientPath } from '@handset/protocol/browser';
import { InstantLinkResultType, invokeStep } from '../callbacks.js';
import { AuthError, PhoneValidationError } from '../errors.js';
import { detectMobileWeb } from '../platform.js';
import type { FlowContext } from '../session.js';
import { openStatusChannel } from '../status-socket.js';
import { callServer, serverFailure, type Envelope } from '../transport.js';

const WAIT = new Promise<never>(() => undefined);

function unexpectedNext(next: unknown): AuthError {
  return new AuthError(`Unexpected next step in Instant Link start step ${String(next)}`, { reportable: true });
}

async function retryChoice(ctx: FlowContext): Promise<number | undefined> {
  const retry = ctx.config.instantLinkRetry;
  if (!retry) return undefined;
  const choice = await invokeStep(retry);
  return typeof choice === 'object' && choice !== null ? choice.resultType : choice;
}

async function startBranch(ctx: FlowContext, isMobile: boolean): Promise<unknown> {
  const { session, config, claims } = ctx;
  const start = config.instantLinkStart;
  if (!start) throw new AuthError('Authentication step mobile/instantlink needs withInstantLinkFallback()');
  let phoneNumberNeeded = !claims.auth.subs.mob?.auths.inln?.mnp;
  let phoneError: PhoneValidationError | undefined;
  const post = (mobileNumber?: string): Promise<Envelope> =>
    callServer(session, ClientPath.MOBILE_INSTANTLINK_START, { sourceIp: config.deviceIpAddress, mobileNumber, isMobile });

  for (;;) {
    const input = await invokeStep(start, phoneNumberNeeded, phoneError);
    phoneError = undefined;
    const reply = await post(input?.phoneNumber || undefined);
    if (reply.error) throw serverFailure(reply);
    if (reply.next === 'done') return 'done';
    if (reply.next) throw unexpectedNext(reply.next);
    const data = reply.data as { code?: unknown; message?: unknown } | null | undefined;
    if (data && (data.code !== undefined || data.message !== undefined)) {
      phoneError = new PhoneValidationError(
        typeof data.code === 'number' ? data.code : undefined,
        typeof data.message === 'string' ? data.message : undefined,
      );
      continue;
    }
    if (data) return WAIT;
    let choice = await retryChoice(ctx);
    if (choice === undefined) return reply.next;
    while (choice === InstantLinkResultType.OnResend) {
      const resent = await post('');
      if (resent.error) throw serverFailure(resent);
      if (resent.next === 'done') return 'done';
      if (resent.next) throw unexpectedNext(resent.next);
      choice = await retryChoice(ctx);
    }
    if (choice !== InstantLinkResultType.OnMobileNumberChange) {
      throw new AuthError('Instant Link retry step resolved an unknown result', { reportable: true });
    }
    phoneNumberNeeded = true;
  }
}

/** Runs Instant Link and resolves with the `next` of whichever branch settles first. */
export async function instantLinkStep(ctx: FlowContext): Promise<unknown> {
  if (detectMobileWeb()) return startBranch(ctx, true);
  const channel = openStatusChannel(ctx.session);
  const http = startBranch(ctx, false);
  http.catch(() => undefined);
  try {
    return await Promise.race([channel.result, http]);
  } finally {
    channel.close();
  }
}

/** `device/passive` in the secondary role: wait for the status message (§2.2). */
export function secondaryWaitStep(ctx: FlowContext): Promise<unknown> {
  return openStatusChannel(ctx.session).result;
}
