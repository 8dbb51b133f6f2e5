/**
 * @module operator-callback
 * Handset's end of operator Mobile Auth (CAMARA Number Verification, decision CH3): the operator
 * redirects the browser's Mobile Auth request here with `code` + `state` (or `error`). The state
 * names the attempt (its `mobile_auth_token`); the code is exchanged and `/verify` (or
 * `/device-phone-number` for a session without a number) is asked outside any transaction, then
 * the session is checked under its lock exactly as the sandbox carrier's answer does, and the
 * browser gets a vfp for instant/finish. The callback must come from the address that started the
 * attempt (see `OperatorMobileAuth.attemptId`). Anything else is a refusal: the SDK falls back to OTP.
 */
import type { Deps } from '../deps.js';
import { runSessionStep } from '../flows/session-tx.js';
import { findSessionBy } from '../store/sessions-repo.js';

/** The callback's answer to the browser: a vfp (fetch implementation), a pixel (pixel implementation) or a refusal. */
export type OperatorAnswer = { kind: 'vfp'; vfp: string } | { kind: 'pixel' } | { kind: 'refused'; why: string };

/**
 * `pixel`: the browser loads the chain as an image (the SDK's pixel implementation, told by
 * `Sec-Fetch-Dest: image`): the confirmation is recorded on the session, since an image cannot
 * carry a vfp back, and instant/finish comes with an empty vfp.
 */
export async function answerOperatorCallback(deps: Deps, query: URLSearchParams, address: string, pixel = false): Promise<OperatorAnswer> {
  const operators = deps.operators?.mobileAuth;
  if (!operators) return { kind: 'refused', why: 'no operator is configured' };
  const attempt = operators.attemptOf(query.get('state'), address);
  if (!attempt) return { kind: 'refused', why: 'the state is not one Handset issued, or it expired' };
  // A relayed attempt (another address loaded the redirect URL) is refused before the code is spent.
  if (!attempt.sameAddress) return { kind: 'refused', why: 'this Mobile Auth attempt was started from another address' };
  const { client, token } = attempt;
  const session = await findSessionBy(deps.db.kysely, 'mobile_auth_token', token);
  if (!session) return { kind: 'refused', why: 'this Mobile Auth attempt is over' };
  const phone = session.phone_e164;
  // The state was issued for the attempt's id (its token and address tag): the client checks it again.
  const result = await client.finish({ sessionId: operators.attemptId(token, address), phoneNumber: phone, query });
  if (result.outcome !== 'verified') {
    const detail = result.outcome === 'fallback' ? result.reason : result.outcome === 'refused' ? result.reason : 'not_verified';
    deps.log.info({ operator: client.operator, outcome: result.outcome, detail }, 'operator mobile auth did not pass');
    return { kind: 'refused', why: 'the operator did not confirm the number' };
  }
  const vouched = result.phoneNumber;
  return runSessionStep(
    deps,
    { column: 'mobile_auth_token', value: token },
    async (ctx): Promise<OperatorAnswer> => {
      // The same checks as the sandbox carrier's answer: this session's number, and a pass still allowed.
      if (ctx.session.phone_e164 !== phone || !ctx.permits({ type: 'mobile_auth_passed', phone: vouched, match: null })) {
        return { kind: 'refused', why: 'this session cannot pass Mobile Auth now' };
      }
      if (!pixel) return { kind: 'vfp', vfp: operators.vfpFor(token, vouched) };
      ctx.stage({ mobile_auth_confirmed: 1, mobile_auth_vouched: vouched });
      return { kind: 'pixel' };
    },
    () => ({ kind: 'refused', why: 'this Mobile Auth attempt is over' }),
  );
}
