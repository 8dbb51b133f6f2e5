/**
 * @module settle
 * What a successful outcome writes besides the state: the proveId of the number and, when the
 * state machine says so, the binding of the session's device key to the number; and, when a text
 * proved possession, its use for the policy's conversion rates (policy/conversion.ts).
 */
import type { Deps } from '../deps.js';
import type { Decision } from './session-state.js';
import type { StepContext } from './session-tx.js';
import { ensureIdentity, updateDevice } from '../store/devices-repo.js';
import { countTextUse } from '../policy/conversion.js';

export async function settle(deps: Deps, ctx: StepContext, decision: Decision): Promise<void> {
  if (!decision.ok || decision.state !== 'succeeded') return;
  const session = ctx.session;
  if (session.phone_e164) {
    // A number the session learnt from a key or the carrier is reported in E.164.
    if (!session.phone_display) ctx.stage({ phone_display: session.phone_e164 });
    const proveId = await ensureIdentity(ctx.trx, session.client_id, session.phone_e164, () => deps.random.uuid(), ctx.now);
    ctx.stage({ prove_id: proveId });
  }
  if (session.device_id) {
    const changes = decision.bindDevice
      ? { phone_e164: session.phone_e164, bound_at: ctx.now, last_used_at: ctx.now }
      : { last_used_at: ctx.now };
    await updateDevice(ctx.trx, session.device_id, changes);
  }
}

type StepEvent = Parameters<StepContext['apply']>[0];

/**
 * Whether the event accepted a text's proof: a right code, or a link's first opening (a second
 * opening is refused by the state machine). A right code for an earlier number is a wrong one.
 */
function usedText(event: StepEvent, decision: Decision): boolean {
  if (!decision.ok || decision.state === 'failed' || decision.state === 'otp_sent') return false;
  return (event.type === 'otp_checked' && event.result === 'correct') || event.type === 'link_opened';
}

/** Applies an event that may end in success, and settles that success. */
export async function applyAndSettle(deps: Deps, ctx: StepContext, event: StepEvent): Promise<Decision> {
  const decision = ctx.apply(event);
  await settle(deps, ctx, decision);
  if (usedText(event, decision)) await countTextUse(deps, ctx);
  return decision;
}
