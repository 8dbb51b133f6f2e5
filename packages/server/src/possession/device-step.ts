/**
 * @module device-step
 * The Prove Key steps: `device/passive/register` (a new key signs the session challenge) and
 * `device/passive/verify` (a known key signs `deviceId:challenge`). Which step follows depends on
 * whether the key is bound to the session's number (server-api.md §6).
 */
import {
  ClientErrorCode,
  DEVICE_KEY_INACTIVITY_SECONDS,
  Step,
  type ClientEnvelope,
  type RegisterRequest,
  type VerifyRequest,
} from '@handset/protocol';
import type { Deps } from '../deps.js';
import type { DeviceMatch } from '../flows/session-types.js';
import type { StepContext } from '../flows/session-tx.js';
import { bySessionToken, runSessionStep, type SessionToken } from '../flows/session-tx.js';
import { devicePublicKey, verifyDeviceSignature } from '../device-key/signatures.js';
import { findDevice, insertDevice, updateDevice } from '../store/devices-repo.js';
import { failure, next, stepNotAllowed } from './envelope.js';
import { applyAndSettle } from '../flows/settle.js';

/** Where a flow goes once its device step is over. */
function afterDeviceStep(ctx: StepContext): string {
  const { state, possession_type: type } = ctx.session;
  if (state === 'succeeded' || type === 'none') return Step.DONE;
  return Step.MOBILE_INSTANT;
}

async function applyDeviceCheck(
  deps: Deps,
  ctx: StepContext,
  match: DeviceMatch,
  deviceId: string | null,
  keyNumber?: string,
): Promise<void> {
  ctx.stage({ device_id: deviceId });
  await applyAndSettle(deps, ctx, keyNumber === undefined ? { type: 'device_checked', match } : { type: 'device_checked', match, keyNumber });
}

/** A device step may run only while the state machine would take its outcome. */
const deviceStepAllowed = (ctx: StepContext): boolean => ctx.permits({ type: 'device_checked', match: 'none' });

export async function registerDevice(deps: Deps, caller: SessionToken, body: RegisterRequest): Promise<ClientEnvelope> {
  return runSessionStep(
    deps,
    bySessionToken(caller),
    async (ctx) => {
      if (!deviceStepAllowed(ctx)) return stepNotAllowed(ctx.session, 'device registration');
      const registration = body.registrations[0]!;
      const publicKey = devicePublicKey(registration.publicKey.key);
      if (!publicKey) {
        return failure(ClientErrorCode.AUTHENTICATION_FAILURE, 'the public key is not an EC P-256 key in PEM form', '');
      }
      if (!verifyDeviceSignature(publicKey, ctx.session.challenge, registration.signature)) {
        return failure(ClientErrorCode.AUTHENTICATION_FAILURE, 'the registration signature does not verify', '');
      }
      const deviceId = deps.random.uuid();
      await insertDevice(ctx.trx, {
        id: deviceId,
        client_id: ctx.session.client_id,
        key_id: registration.publicKey.id,
        public_key: registration.publicKey.key,
        phone_e164: null,
        created_at: ctx.now,
        bound_at: null,
        last_used_at: ctx.now,
        revoked_at: null,
      });
      await applyDeviceCheck(deps, ctx, 'new', deviceId);
      return next(afterDeviceStep(ctx), { deviceId });
    },
  );
}

export async function verifyDevice(deps: Deps, caller: SessionToken, body: VerifyRequest): Promise<ClientEnvelope> {
  return runSessionStep(
    deps,
    bySessionToken(caller),
    async (ctx) => {
      if (!deviceStepAllowed(ctx)) return stepNotAllowed(ctx.session, 'device verification');
      const device = await findDevice(ctx.trx, body.deviceId, ctx.session.client_id);
      const inactiveSince = ctx.now - DEVICE_KEY_INACTIVITY_SECONDS * 1000;
      const usable = device && device.revoked_at === null && device.key_id === body.keyId && device.last_used_at > inactiveSince;
      if (!device || !usable) {
        if (device && device.revoked_at === null && device.last_used_at <= inactiveSince) {
          // 12 months without use: the key is deactivated for good.
          await updateDevice(ctx.trx, device.id, { revoked_at: ctx.now });
        }
        await applyDeviceCheck(deps, ctx, 'none', null);
        return failure(ClientErrorCode.NO_DEVICE_FOUND, 'this device key is not registered', afterDeviceStep(ctx));
      }
      const message = `${device.id}:${ctx.session.challenge}`;
      if (!verifyDeviceSignature(device.public_key, message, body.signature)) {
        await applyDeviceCheck(deps, ctx, 'none', null);
        return failure(ClientErrorCode.AUTHENTICATION_FAILURE, 'the device signature does not verify', afterDeviceStep(ctx));
      }
      const sessionPhone = ctx.session.phone_e164;
      const keyNumber = device.phone_e164;
      const match: DeviceMatch =
        keyNumber === null ? 'new' : sessionPhone === null || keyNumber === sessionPhone ? 'match' : 'mismatch';
      await updateDevice(ctx.trx, device.id, { last_used_at: ctx.now });
      await applyDeviceCheck(deps, ctx, match, device.id, keyNumber ?? undefined);
      return next(afterDeviceStep(ctx));
    },
  );
}

/** The browser could not use a Prove Key (an error report from the device step): go on without one. */
export async function skipDeviceStep(deps: Deps, caller: SessionToken): Promise<ClientEnvelope> {
  return runSessionStep(
    deps,
    bySessionToken(caller),
    async (ctx) => {
      if (deviceStepAllowed(ctx)) {
        await applyDeviceCheck(deps, ctx, 'none', null);
        return next(afterDeviceStep(ctx));
      }
      // A late report (for example after a cancel): end quietly.
      return next(ctx.session.state === 'succeeded' ? Step.DONE : Step.END);
    },
  );
}
