/**
 * @module steps/mobile-otp
 * `mobile/otp` (`client-protocol.md` §3.3): the start loop (any `data` in the start reply is a
 * phone validation error → ask again; no `data` → proceed, ignoring `next`) and the finish loop
 * (any `data` is a wrong code → ask again; resend posts `{}` to start; change of number goes back
 * to the start loop with `phoneNumberNeeded = true`).
 */
import { ClientPath } from '@handset/protocol/browser';
import { invokeStep, OtpFinishResultType, type OtpFinishResult } from '../callbacks.js';
import { AuthError, OtpError, PhoneValidationError } from '../errors.js';
import type { FlowContext } from '../session.js';
import { callServer, serverFailure, type Envelope } from '../transport.js';

function validation(reply: Envelope): { code?: number; message?: string } {
  const data = reply.data as { code?: unknown; message?: unknown };
  return {
    code: typeof data.code === 'number' ? data.code : undefined,
    message: typeof data.message === 'string' ? data.message : undefined,
  };
}

function normaliseFinish(result: OtpFinishResult | string | null | undefined): OtpFinishResult {
  if (typeof result === 'string') return { resultType: OtpFinishResultType.OnSuccess, input: { otp: result } };
  if (!result || typeof result !== 'object') throw new AuthError('OTP finish step resolved without a result', { reportable: true });
  return result;
}

/** Runs SMS OTP and resolves with the `next` of the accepted `otp/finish`. */
export async function mobileOtpStep(ctx: FlowContext): Promise<unknown> {
  const { session, config, claims } = ctx;
  const start = config.otpStart;
  const finish = config.otpFinish;
  if (!start || !finish) throw new AuthError('Authentication step mobile/otp needs withOtpFallback()');
  let phoneNumberNeeded = !claims.auth.subs.mob?.auths.otp?.mnp;

  for (;;) {
    // Start loop: until the server accepts the number (or the one it already has).
    let phoneError: PhoneValidationError | undefined;
    for (;;) {
      const input = await invokeStep(start, phoneNumberNeeded, phoneError);
      const reply = await callServer(
        session,
        ClientPath.MOBILE_OTP_START,
        input?.phoneNumber ? { mobileNumber: input.phoneNumber } : {},
      );
      if (reply.error) throw serverFailure(reply);
      if (!reply.data) break;
      const { code, message } = validation(reply);
      phoneError = new PhoneValidationError(code, message);
    }

    // Finish loop: until a code is accepted, or the user wants another number.
    let otpError: OtpError | undefined;
    for (;;) {
      const result = normaliseFinish(await invokeStep(finish, otpError));
      if (result.resultType === OtpFinishResultType.OnMobileNumberChange) {
        phoneNumberNeeded = true;
        break;
      }
      if (result.resultType === OtpFinishResultType.OnResendOtp) {
        const reply = await callServer(session, ClientPath.MOBILE_OTP_START, {});
        if (reply.error) throw serverFailure(reply);
        otpError = undefined;
        continue;
      }
      if (result.resultType !== OtpFinishResultType.OnSuccess || typeof result.input?.otp !== 'string') {
        throw new AuthError('OTP finish step resolved an unknown result', { reportable: true });
      }
      const reply = await callServer(session, ClientPath.MOBILE_OTP_FINISH, { otp: result.input.otp });
      if (reply.error) throw serverFailure(reply);
      if (!reply.data) return reply.next;
      const { code, message } = validation(reply);
      otpError = new OtpError(code, message);
    }
  }
}
