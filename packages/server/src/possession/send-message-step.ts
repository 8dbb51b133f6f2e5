/**
 * @module send-message-step
 * What OTP and Instant Link have in common when the browser asks for a message: the first send,
 * a resend (decision C4: a start after a message went out) or a change of number. The state
 * machine decides whether a message may go out (and to which number) before anything is sent;
 * when it refuses, nothing is sent and nothing changes.
 */
import { ValidationCode, type ClientEnvelope } from '@handset/protocol';
import type { Deps } from '../deps.js';
import type { StepContext } from '../flows/session-tx.js';
import { deviceMatchFor, readTypedNumber } from './change-number.js';
import { next, policyRefused, stepNotAllowed } from './envelope.js';
import { guardSend } from '../policy/guard.js';

export interface MessageChannel {
  /** The state machine event, and so the state that means "a message went out". */
  event: 'otp_sent' | 'link_sent';
  /** The step name that carries validation replies. */
  step: string;
  /** The reply after a send. */
  sent: ClientEnvelope;
  /** Writes the message (with a new proof for `ctx.session.phone_e164`) and sends it. */
  send(deps: Deps, ctx: StepContext, to: string): Promise<void>;
}

const TEXT_DENIED = 'This number cannot receive a verification text. Try another number.';
const TOO_MANY_MESSAGES = 'Too many messages were sent in this verification. Use the last one you received, or start again.';

/** `mobileNumber`: absent or `""` → the session's number (first send or resend); a number → change of number. */
export async function sendMessageStep(
  deps: Deps,
  ctx: StepContext,
  channel: MessageChannel,
  mobileNumber: string | null | undefined,
): Promise<ClientEnvelope> {
  let to = ctx.session.phone_e164;
  if (mobileNumber) {
    const typed = readTypedNumber(deps, mobileNumber);
    if (!typed.ok) return next(channel.step, { code: ValidationCode.INVALID_PHONE_NUMBER, message: typed.message });
    to = typed.phone;
  }
  if (!to) return next(channel.step, { code: ValidationCode.INVALID_PHONE_NUMBER, message: 'A phone number is needed' });
  const event = { type: channel.event, to, match: await deviceMatchFor(ctx, to) };
  // The fraud policy runs only on a send the state machine would allow: a refused step sends nothing anyway.
  if (ctx.permits(event)) {
    const policy = await guardSend(deps, ctx, to);
    // deny_send: nothing is queued and the state does not change (the reason is recorded); the SDK asks for a number again (docs/fraud-policy.md).
    if (policy.action === 'deny_send') return next(channel.step, { code: ValidationCode.INVALID_PHONE_NUMBER, message: TEXT_DENIED });
    // fail: the session has ended (the guard applied policy_failed); nothing is sent.
    if (policy.action === 'fail') return policyRefused();
  }
  const decision = ctx.apply(event);
  if (!decision.ok) {
    if (decision.refusal !== 'too_many_messages') return stepNotAllowed(ctx.session, channel.step);
    deps.log.warn({ correlationId: ctx.session.correlation_id, channel: channel.event }, 'message refused: limit reached');
    return next(channel.step, { code: ValidationCode.TOO_MANY_MESSAGES, message: TOO_MANY_MESSAGES });
  }
  if (mobileNumber) ctx.stage({ phone_display: mobileNumber });
  await channel.send(deps, ctx, to);
  return channel.sent;
}
