/**
 * @module send-message-step
 * What OTP and Instant Link have in common when the browser asks for a message: the first send,
 * a resend (decision C4: a start after a message went out), or a change of number — with a
 * bounded number of resends so the flow cannot be used to spam a phone.
 */
import { ValidationCode, type ClientEnvelope } from '@handset/protocol';
import type { Deps } from '../deps.js';
import { transition } from '../flows/session-state.js';
import type { StepContext } from '../flows/session-tx.js';
import type { SessionRow } from '../store/sessions-repo.js';
import { changeNumber } from './change-number.js';
import { next, stepNotAllowed } from './envelope.js';

export interface MessageChannel {
  /** The state machine event, and so the state that means "a message went out". */
  event: 'otp_sent' | 'link_sent';
  /** The session counter of resends. */
  resendsField: 'otp_resends' | 'link_resends';
  maxResends: number;
  /** The step name that carries validation replies. */
  step: string;
  /** The reply after a send (or a refused resend). */
  sent: ClientEnvelope;
  /** Writes the message and sends it. */
  send(deps: Deps, ctx: StepContext): Promise<void>;
}

export async function sendMessageStep(
  deps: Deps,
  ctx: StepContext,
  channel: MessageChannel,
  mobileNumber: string | null | undefined,
): Promise<ClientEnvelope> {
  const alreadySent = ctx.current.state === (channel.event as SessionRow['state']);
  if (!transition(ctx.current, { type: channel.event })) return stepNotAllowed(ctx.current, channel.step);
  if (mobileNumber) {
    const invalid = await changeNumber(deps, ctx, mobileNumber);
    if (invalid) return next(channel.step, { code: ValidationCode.INVALID_PHONE_NUMBER, message: invalid });
  }
  ctx.apply({ type: channel.event });
  if (alreadySent) {
    const resends = ctx.current[channel.resendsField];
    if (resends >= channel.maxResends) {
      deps.log.warn({ correlationId: ctx.current.correlation_id, channel: channel.event }, 'resend refused: limit reached');
      return channel.sent;
    }
    ctx.stage({ [channel.resendsField]: resends + 1 });
  }
  if (!ctx.current.phone_e164) {
    return next(channel.step, { code: ValidationCode.INVALID_PHONE_NUMBER, message: 'A phone number is needed' });
  }
  await channel.send(deps, ctx);
  return channel.sent;
}
