/**
 * @module change-number
 * The user typed a (new) phone number in the browser (OTP or Instant Link "change number"):
 * is it acceptable, and how does the session's Prove Key compare with it? The change itself is
 * the state machine's (`otp_sent` / `link_sent` with the new `to`).
 */
import type { Deps } from '../deps.js';
import { SANDBOX_USERS } from '../flows/sandbox-users.js';
import type { DeviceMatch } from '../flows/session-types.js';
import type { StepContext } from '../flows/session-tx.js';
import { normalizePhone } from '../lib/phone.js';
import { findDevice } from '../store/devices-repo.js';

export type TypedNumber = { ok: true; phone: string } | { ok: false; message: string };

/** Normalises a typed number; a message for the user when it is not acceptable. */
export function readTypedNumber(deps: Deps, typed: string): TypedNumber {
  const phone = normalizePhone(typed);
  if (!phone) return { ok: false, message: 'This is not a valid phone number' };
  if (deps.config.sandbox && !SANDBOX_USERS.has(phone)) return { ok: false, message: 'Sandbox mode accepts only test numbers' };
  return { ok: true, phone };
}

/** How the session's device key (if any) compares with `phone`. */
export async function deviceMatchFor(ctx: StepContext, phone: string): Promise<DeviceMatch | null> {
  const session = ctx.session;
  if (phone === session.phone_e164 || !session.device_id) return session.device_match;
  const device = await findDevice(ctx.trx, session.device_id);
  return !device?.phone_e164 ? 'new' : device.phone_e164 === phone ? 'match' : 'mismatch';
}
