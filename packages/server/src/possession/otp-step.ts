/**
 * @module otp-step
 * SMS one-time codes (`mobile/otp`): first send, resend and change of number (decision C4: a
 * start after a code was sent is a resend), then the code check with the attempt cap.
 * The attempt counter is read and written under the session's row lock, so concurrent guesses
 * can never exceed the cap.
 */
import { ClientErrorCode, OTP_TTL_SECONDS, Step, ValidationCode, type ClientEnvelope } from '@handset/protocol';
import type { Deps } from '../deps.js';
import { SANDBOX_OTP } from '../flows/sandbox-users.js';
import { bySessionToken, runSessionStep, type SessionToken, type StepContext } from '../flows/session-tx.js';
import { DEFAULT_OTP_TEMPLATE, otpLength, renderOtp } from '../flows/sms-templates.js';
import { safeEqual, sha256Hex } from '../lib/hash.js';
import { failure, next, policyRefused, stepNotAllowed } from './envelope.js';
import { sendMessageStep, type MessageChannel } from './send-message-step.js';
import { guardVerify } from '../policy/guard.js';
import { applyAndSettle } from '../flows/settle.js';

/** A code is bound to its session and to the number it was sent to: it cannot prove another. */
const otpHash = (correlationId: string, phone: string, code: string): string => sha256Hex(`otp:${correlationId}:${phone}:${code}`);

async function sendCode(deps: Deps, ctx: StepContext, to: string): Promise<void> {
  const session = ctx.session;
  const template = session.sms_message ?? DEFAULT_OTP_TEMPLATE;
  const code = deps.config.sandbox ? SANDBOX_OTP : deps.random.digits(otpLength(template) ?? 4);
  ctx.stage({ otp_hash: otpHash(session.correlation_id, to, code), otp_sent_at: ctx.now });
  await deps.sms.send({ to, body: renderOtp(template, code), clientId: session.client_id, correlationId: session.correlation_id }, ctx.trx);
}

const OTP_CHANNEL: MessageChannel = {
  event: 'otp_sent',
  step: Step.MOBILE_OTP,
  // No `data`: the SDK goes on to code entry.
  sent: { next: Step.MOBILE_OTP },
  send: sendCode,
};

export async function startOtp(deps: Deps, caller: SessionToken, mobileNumber: string | null | undefined): Promise<ClientEnvelope> {
  return runSessionStep(deps, bySessionToken(caller), (ctx) => sendMessageStep(deps, ctx, OTP_CHANNEL, mobileNumber));
}

function checkCode(ctx: StepContext, otp: string): 'correct' | 'wrong' | 'expired' {
  const { otp_hash: hash, otp_sent_at: sentAt, correlation_id: correlationId, phone_e164: phone } = ctx.session;
  if (!hash || sentAt === null || !phone) return 'wrong';
  if (ctx.now >= sentAt + OTP_TTL_SECONDS * 1000) return 'expired';
  return safeEqual(otpHash(correlationId, phone, otp), hash) ? 'correct' : 'wrong';
}

export async function finishOtp(deps: Deps, caller: SessionToken, otp: string): Promise<ClientEnvelope> {
  return runSessionStep(
    deps,
    bySessionToken(caller),
    async (ctx) => {
      if (!ctx.permits({ type: 'otp_checked', result: 'expired' })) return stepNotAllowed(ctx.session, 'OTP check');
      // fail at `verify` (e.g. a cap on verification attempts across sessions): the session ends
      // with the rule's reason and the code is never compared.
      if ((await guardVerify(deps, ctx, 'code')).action === 'fail') return policyRefused();
      const result = checkCode(ctx, otp);
      const decision = await applyAndSettle(deps, ctx, { type: 'otp_checked', result });
      if (!decision.ok) return stepNotAllowed(ctx.session, 'OTP check');
      if (result === 'expired') {
        return next(Step.MOBILE_OTP, { code: ValidationCode.OTP_EXPIRED, message: 'The code has expired. Ask for a new one.' });
      }
      if (decision.state === 'failed') {
        return failure(ClientErrorCode.MAX_ATTEMPTS, 'Too many wrong codes. The verification has failed.', Step.DONE);
      }
      if (decision.state === 'otp_sent') {
        return next(Step.MOBILE_OTP, { code: ValidationCode.INVALID_OTP, message: 'The code is not correct. Try again.' });
      }
      return next(Step.DONE);
    },
  );
}

/** The browser reported an OTP failure it cannot recover from: the session fails. */
export async function otpFailed(deps: Deps, caller: SessionToken): Promise<ClientEnvelope> {
  return runSessionStep(
    deps,
    bySessionToken(caller),
    async (ctx) => {
      ctx.apply({ type: 'client_failed' });
      return next(Step.DONE);
    },
    () => next(Step.DONE),
  );
}
