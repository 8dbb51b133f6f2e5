/**
 * @module otp-step
 * SMS one-time codes (`mobile/otp`): first send, resend and change of number (decision C4: a
 * start after a code was sent is a resend), then the code check with the attempt cap.
 * The attempt counter is read and written under the session's row lock, so concurrent guesses
 * can never exceed the cap.
 */
import {
  ClientErrorCode,
  OTP_MAX_RESENDS,
  OTP_RETRIES_WHEN_ALLOWED,
  OTP_TTL_SECONDS,
  Step,
  ValidationCode,
  type ClientEnvelope,
} from '@handset/protocol';
import type { Deps } from '../deps.js';
import { SANDBOX_OTP } from '../flows/sandbox-users.js';
import { runSessionStep, type StepContext } from '../flows/session-tx.js';
import { DEFAULT_OTP_TEMPLATE, otpLength, renderOtp } from '../flows/sms-templates.js';
import { safeEqual, sha256Hex } from '../lib/hash.js';
import { failure, next, stepNotAllowed } from './envelope.js';
import { sendMessageStep, type MessageChannel } from './send-message-step.js';
import { settle } from '../flows/settle.js';

const otpHash = (correlationId: string, code: string): string => sha256Hex(`${correlationId}:${code}`);

/** Total tries at the code: one, plus three re-entries when `allowOTPRetry` is on. */
export function otpAttemptCap(allowRetry: boolean): number {
  return allowRetry ? 1 + OTP_RETRIES_WHEN_ALLOWED : 1;
}

async function sendCode(deps: Deps, ctx: StepContext): Promise<void> {
  const session = ctx.current;
  const template = session.sms_message ?? DEFAULT_OTP_TEMPLATE;
  const code = deps.config.sandbox ? SANDBOX_OTP : deps.random.digits(otpLength(template) ?? 4);
  ctx.stage({ otp_hash: otpHash(session.correlation_id, code), otp_sent_at: ctx.now });
  await deps.sms.send({ to: session.phone_e164!, body: renderOtp(template, code), clientId: session.client_id }, ctx.trx);
}

const OTP_CHANNEL: MessageChannel = {
  event: 'otp_sent',
  resendsField: 'otp_resends',
  maxResends: OTP_MAX_RESENDS,
  step: Step.MOBILE_OTP,
  // No `data`: the SDK goes on to code entry.
  sent: { next: Step.MOBILE_OTP },
  send: sendCode,
};

export async function startOtp(deps: Deps, authId: string, mobileNumber: string | null | undefined): Promise<ClientEnvelope> {
  return runSessionStep(deps, { column: 'auth_id', value: authId }, (_session, ctx) =>
    sendMessageStep(deps, ctx, OTP_CHANNEL, mobileNumber),
  );
}

export async function finishOtp(deps: Deps, authId: string, otp: string): Promise<ClientEnvelope> {
  return runSessionStep(deps, { column: 'auth_id', value: authId }, async (_session, ctx) => {
    const session = ctx.current;
    if (session.state !== 'otp_sent' || !session.otp_hash || session.otp_sent_at === null) {
      return stepNotAllowed(session, 'OTP check');
    }
    if (ctx.now >= session.otp_sent_at + OTP_TTL_SECONDS * 1000) {
      return next(Step.MOBILE_OTP, { code: ValidationCode.OTP_EXPIRED, message: 'The code has expired. Ask for a new one.' });
    }
    if (safeEqual(otpHash(session.correlation_id, otp), session.otp_hash)) {
      const result = ctx.apply({ type: 'possession_proven' }, { otp_hash: null });
      await settle(deps, ctx, result);
      return next(Step.DONE);
    }
    const attempts = session.otp_attempts + 1;
    if (attempts >= otpAttemptCap(session.allow_otp_retry === 1)) {
      ctx.apply({ type: 'failed' }, { otp_attempts: attempts, otp_hash: null });
      return failure(ClientErrorCode.MAX_ATTEMPTS, 'Too many wrong codes. The verification has failed.', Step.DONE);
    }
    ctx.apply({ type: 'otp_rejected' }, { otp_attempts: attempts });
    return next(Step.MOBILE_OTP, { code: ValidationCode.INVALID_OTP, message: 'The code is not correct. Try again.' });
  });
}

/** The browser reported an OTP failure it cannot recover from: the session fails. */
export async function otpFailed(deps: Deps, authId: string): Promise<ClientEnvelope> {
  return runSessionStep(deps, { column: 'auth_id', value: authId }, async (_session, ctx) => {
    const ended = ctx.current.state === 'succeeded';
    if (!ended) ctx.apply({ type: 'failed' });
    return next(Step.DONE);
  });
}
