/**
 * @module mobile-auth-step
 * Mobile Auth (`mobile/instant`): hand the browser a session-unique carrier URL, then check the
 * `vfp` it brings back. A failure falls back to SMS OTP (client-protocol.md §6, §9a).
 */
import { ClientErrorCode, Step, type ClientEnvelope, type MobileAuthStartRequest } from '@handset/protocol';
import type { Deps } from '../deps.js';
import { bySessionToken, runSessionStep, type SessionToken, type StepContext } from '../flows/session-tx.js';
import { randomToken } from '../ports/random.js';
import { failure, next, policyRefused, stepNotAllowed } from './envelope.js';
import { applyAndSettle } from '../flows/settle.js';
import { deviceMatchFor } from './change-number.js';
import { isOperatorVfp } from '../mobile-auth/choose-provider.js';
import { findSessionBy } from '../store/sessions-repo.js';
import { guardMobileAuth } from '../policy/guard.js';

const MOBILE_AUTH_REFUSED = 'Mobile Auth is not available for this verification';

/**
 * With operators configured, the authorization URL of the operator serving the session's number
 * (state bound to the attempt's token), or null for the sandbox carrier. Runs before the step's
 * transaction: discovery may reach the operator, never under the session's row lock. An operator
 * that cannot be reached gets a callback URL that refuses, so the browser falls back to OTP.
 */
async function operatorRedirect(deps: Deps, caller: SessionToken, token: string, address: string): Promise<string | null> {
  const operators = deps.operators?.mobileAuth;
  if (!operators) return null;
  const session = await findSessionBy(deps.db.kysely, 'auth_id', caller.authId);
  // Not the token's session: the step refuses it (401) without the operator ever being asked.
  if (!session || session.token_id !== caller.tokenId) return null;
  const client = operators.clientFor(session.phone_e164);
  if (!client) return null;
  const started = await client.start({ sessionId: operators.attemptId(token, address), phoneNumber: session.phone_e164 });
  if (started.ok) return started.url;
  deps.log.warn({ operator: client.operator, reason: started.result.reason, detail: started.result.detail }, 'operator mobile auth could not start');
  return `${deps.config.publicUrl}/v1/operator/callback?error=temporarily_unavailable`;
}

/**
 * `address`: the caller's address key; an operator callback must come from it (choose-provider.ts).
 * The fraud policy's `mobile_auth` rules run in the step (policy/guard.ts), after the operator's
 * start: a refused attempt leaves an operator authorization unused, which expires on its own.
 */
export async function startMobileAuth(deps: Deps, caller: SessionToken, _body: MobileAuthStartRequest, address: string): Promise<ClientEnvelope> {
  const token = randomToken(deps.random, 24);
  const operatorUrl = await operatorRedirect(deps, caller, token, address);
  return runSessionStep(
    deps,
    bySessionToken(caller),
    async (ctx) => {
      if (!ctx.permits({ type: 'mobile_auth_started' })) return stepNotAllowed(ctx.session, 'Mobile Auth');
      const policy = await guardMobileAuth(deps, ctx);
      if (policy.action === 'fail') return policyRefused();
      // require_otp: no Mobile Auth for this session; the SDK follows `next` to OTP, as after a failed attempt.
      if (policy.action === 'require_otp') return failure(ClientErrorCode.AUTHENTICATION_EXTERNAL_FAILURE, MOBILE_AUTH_REFUSED, Step.MOBILE_OTP);
      ctx.apply({ type: 'mobile_auth_started' });
      ctx.stage({ mobile_auth_token: token, mobile_auth_vouched: null });
      return next(Step.MOBILE_INSTANT, { redirectUrl: operatorUrl ?? deps.carrier.redirectUrl(token) });
    },
  );
}

/** The number the carrier answers for: the session's, or (without one) the line it discovers. */
function carrierNumber(deps: Deps, ctx: StepContext): string | null {
  return ctx.session.phone_e164 ?? deps.carrier.discoverNumber();
}

/** The number the carrier vouched for with this Mobile Auth attempt, or null. */
function carrierVouched(deps: Deps, ctx: StepContext, vfp: string): string | null {
  const { mobile_auth_token: token, mobile_auth_confirmed: confirmed } = ctx.session;
  const operators = deps.operators?.mobileAuth;
  if (operators && token && isOperatorVfp(vfp)) {
    // The operator vouched for this number at the callback (for a session without one: its line's).
    const vouched = operators.vouched(token, vfp);
    return vouched !== null && (ctx.session.phone_e164 ?? vouched) === vouched ? vouched : null;
  }
  const recorded = ctx.session.mobile_auth_vouched;
  if (operators && token && vfp === '' && confirmed === 1 && recorded !== null) {
    // Pixel implementation: the operator callback recorded the confirmation and the number.
    return (ctx.session.phone_e164 ?? recorded) === recorded ? recorded : null;
  }
  const phone = carrierNumber(deps, ctx);
  if (!token || !phone || !deps.carrier.recognises(phone)) return null;
  // The pixel implementation sends an empty vfp: the carrier endpoint has already confirmed the session.
  const passed = vfp === '' ? confirmed === 1 : deps.carrier.verify(token, vfp);
  return passed ? phone : null;
}

export async function finishMobileAuth(deps: Deps, caller: SessionToken, vfp: string): Promise<ClientEnvelope> {
  return runSessionStep(
    deps,
    bySessionToken(caller),
    async (ctx) => {
      const phone = carrierVouched(deps, ctx, vfp);
      if (phone) {
        const match = await deviceMatchFor(ctx, phone);
        const decision = await applyAndSettle(deps, ctx, { type: 'mobile_auth_passed', phone, match });
        if (decision.ok) return next(Step.DONE);
      }
      if (!ctx.apply({ type: 'mobile_auth_failed' }).ok) return stepNotAllowed(ctx.session, 'Mobile Auth finish');
      return failure(ClientErrorCode.AUTHENTICATION_EXTERNAL_FAILURE, 'Mobile Auth could not confirm the number', Step.MOBILE_OTP);
    },
  );
}

/** The browser reported a Mobile Auth failure: fall back to OTP. */
export async function mobileAuthFailed(deps: Deps, caller: SessionToken): Promise<ClientEnvelope> {
  return runSessionStep(
    deps,
    bySessionToken(caller),
    async (ctx) => {
      ctx.apply({ type: 'mobile_auth_failed' });
      const { state, possession_type: type } = ctx.session;
      if (type === 'mobile' && ['awaiting_possession', 'created', 'otp_sent'].includes(state)) return next(Step.MOBILE_OTP);
      return next(state === 'succeeded' ? Step.DONE : Step.END);
    },
  );
}

/** The carrier's answer to the browser's fetch of the redirect URL. */
export type CarrierAnswer = { kind: 'vfp'; vfp: string } | { kind: 'pixel' } | { kind: 'refused' };

export async function answerCarrier(deps: Deps, token: string, fetchMode: boolean): Promise<CarrierAnswer> {
  return runSessionStep(
    deps,
    { column: 'mobile_auth_token', value: token },
    async (ctx): Promise<CarrierAnswer> => {
      // The carrier vouches only for a session whose Mobile Auth may still pass, for its own number.
      const phone = carrierNumber(deps, ctx);
      if (!phone || !deps.carrier.recognises(phone) || !ctx.permits({ type: 'mobile_auth_passed', phone, match: null })) {
        return { kind: 'refused' };
      }
      if (fetchMode) return { kind: 'vfp', vfp: deps.carrier.vfpFor(token) };
      ctx.stage({ mobile_auth_confirmed: 1 });
      return { kind: 'pixel' };
    },
    () => ({ kind: 'refused' }),
  );
}
