/**
 * @module mobile-auth-step
 * Mobile Auth (`mobile/instant`): hand the browser a session-unique carrier URL, then check the
 * `vfp` it brings back. A failure falls back to SMS OTP (client-protocol.md §6, §9a).
 */
import { ClientErrorCode, Step, type ClientEnvelope, type MobileAuthStartRequest } from '@handset/protocol';
import type { Deps } from '../deps.js';
import { runSessionStep } from '../flows/session-tx.js';
import { randomToken } from '../ports/random.js';
import { failure, next, stepNotAllowed } from './envelope.js';
import { settle } from '../flows/settle.js';

export async function startMobileAuth(deps: Deps, authId: string, _body: MobileAuthStartRequest): Promise<ClientEnvelope> {
  return runSessionStep(deps, { column: 'auth_id', value: authId }, async (_session, ctx) => {
    const token = randomToken(deps.random, 24);
    const started = ctx.apply({ type: 'mobile_auth_started' }, { mobile_auth_token: token, mobile_auth_confirmed: 0 });
    if (!started) return stepNotAllowed(ctx.current, 'Mobile Auth');
    return next(Step.MOBILE_INSTANT, { redirectUrl: deps.carrier.redirectUrl(token) });
  });
}

export async function finishMobileAuth(deps: Deps, authId: string, vfp: string): Promise<ClientEnvelope> {
  return runSessionStep(deps, { column: 'auth_id', value: authId }, async (_session, ctx) => {
    const session = ctx.current;
    if (session.state !== 'mobile_auth' || !session.mobile_auth_token) return stepNotAllowed(session, 'Mobile Auth finish');
    // The pixel implementation sends an empty vfp: the carrier endpoint has already confirmed the session.
    const passed =
      vfp === ''
        ? session.mobile_auth_confirmed === 1
        : deps.carrier.recognises(session.phone_e164) && deps.carrier.verify(session.mobile_auth_token, vfp);
    if (!passed) {
      ctx.apply({ type: 'mobile_auth_failed' }, { mobile_auth_token: null });
      return failure(ClientErrorCode.AUTHENTICATION_EXTERNAL_FAILURE, 'Mobile Auth could not confirm the number', Step.MOBILE_OTP);
    }
    const result = ctx.apply({ type: 'possession_proven' }, { mobile_auth_token: null });
    await settle(deps, ctx, result);
    return next(Step.DONE);
  });
}

/** The browser reported a Mobile Auth failure: fall back to OTP. */
export async function mobileAuthFailed(deps: Deps, authId: string): Promise<ClientEnvelope> {
  return runSessionStep(deps, { column: 'auth_id', value: authId }, async (_session, ctx) => {
    const state = ctx.current.state;
    if (state === 'mobile_auth') ctx.apply({ type: 'mobile_auth_failed' }, { mobile_auth_token: null });
    if (['created', 'awaiting_possession', 'mobile_auth', 'otp_sent'].includes(state) && ctx.current.possession_type === 'mobile') {
      return next(Step.MOBILE_OTP);
    }
    return next(state === 'succeeded' ? Step.DONE : Step.END);
  });
}

/** The carrier's answer to the browser's fetch of the redirect URL. */
export type CarrierAnswer = { kind: 'vfp'; vfp: string } | { kind: 'pixel' } | { kind: 'refused' };

export async function answerCarrier(deps: Deps, token: string, fetchMode: boolean): Promise<CarrierAnswer> {
  return runSessionStep(deps, { column: 'mobile_auth_token', value: token }, async (session, ctx) => {
    if (!session || ctx.current.state !== 'mobile_auth' || !deps.carrier.recognises(ctx.current.phone_e164)) {
      return { kind: 'refused' } as const;
    }
    if (fetchMode) return { kind: 'vfp', vfp: deps.carrier.vfpFor(token) } as const;
    ctx.stage({ mobile_auth_confirmed: 1 });
    return { kind: 'pixel' } as const;
  });
}
