/**
 * @module change-number
 * The user typed a (new) phone number in the browser (OTP or Instant Link "change number").
 * The session takes the new number, and the Prove Key comparison is made again against it.
 */
import type { Deps } from '../deps.js';
import { SANDBOX_USERS } from '../flows/sandbox-users.js';
import type { StepContext } from '../flows/session-tx.js';
import { normalizePhone } from '../lib/phone.js';
import { findDevice } from '../store/devices-repo.js';
import type { DeviceMatch } from '../store/schema.js';

/** Applies a typed number; returns a message for the user when it is not acceptable. */
export async function changeNumber(deps: Deps, ctx: StepContext, typed: string): Promise<string | null> {
  const phone = normalizePhone(typed);
  if (!phone) return 'This is not a valid phone number';
  if (deps.config.sandbox && !SANDBOX_USERS.has(phone)) return 'Sandbox mode accepts only test numbers';
  if (phone === ctx.current.phone_e164) return null;
  let match: DeviceMatch | null = ctx.current.device_match;
  if (ctx.current.device_id) {
    const device = await findDevice(ctx.trx, ctx.current.device_id);
    match = !device?.phone_e164 ? 'new' : device.phone_e164 === phone ? 'match' : 'mismatch';
  }
  ctx.stage({ phone_e164: phone, phone_display: typed, device_match: match, prove_id: null });
  return null;
}
