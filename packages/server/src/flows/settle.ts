/**
 * @module settle
 * What a successful outcome writes besides the state: the proveId of the number and, when the
 * state machine says so, the binding of the session's device key to the number.
 */
import type { Deps } from '../deps.js';
import type { Decision } from './session-state.js';
import type { StepContext } from './session-tx.js';
import { ensureIdentity, updateDevice } from '../store/devices-repo.js';

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

/** Applies an event that may end in success, and settles that success. */
export async function applyAndSettle(deps: Deps, ctx: StepContext, event: Parameters<StepContext['apply']>[0]): Promise<Decision> {
  const decision = ctx.apply(event);
  await settle(deps, ctx, decision);
  return decision;
}
