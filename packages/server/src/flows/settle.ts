/**
 * @module settle
 * What a successful outcome writes besides the state: the proveId of the number and, when the
 * state machine says so, the binding of the session's device key to the number.
 */
import type { Deps } from '../deps.js';
import type { Transition } from './session-state.js';
import type { StepContext } from './session-tx.js';
import { ensureIdentity, updateDevice } from '../store/devices-repo.js';

export async function settle(deps: Deps, ctx: StepContext, result: Transition | null): Promise<void> {
  if (!result || result.state !== 'succeeded') return;
  const session = ctx.current;
  if (session.phone_e164) {
    const proveId = await ensureIdentity(ctx.trx, session.client_id, session.phone_e164, () => deps.random.uuid(), ctx.now);
    ctx.stage({ prove_id: proveId, failure_reason: null });
  }
  if (session.device_id) {
    const changes = result.bindDevice
      ? { phone_e164: session.phone_e164, bound_at: ctx.now, last_used_at: ctx.now }
      : { last_used_at: ctx.now };
    await updateDevice(ctx.trx, session.device_id, changes);
  }
}
