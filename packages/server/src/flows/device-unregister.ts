/**
 * @module device-unregister
 * `device/unregister`: the browser wipes its Prove Key and asks the platform to forget it. The
 * call carries no authToken: it must be signed by the key itself (request signing v3).
 */
import type { Deps } from '../deps.js';
import { checkRequestSignature } from '../device-key/request-signature.js';
import { maskPhone } from '../lib/phone.js';
import { findDevice, revokeDevice } from '../store/devices-repo.js';
import { domainError } from './domain-error.js';
import { webhookEnqueueDeps } from '../webhooks/wiring.js';

export interface SignedRequest {
  headers: Record<string, string | string[] | undefined>;
  path: string;
  query: string;
  rawBody: string;
}

/** Revokes the key when the request is signed by it. An unknown or revoked key: nothing to do. */
export async function unregisterDevice(deps: Deps, deviceId: string, request: SignedRequest): Promise<void> {
  const device = await findDevice(deps.db.kysely, deviceId);
  if (!device || device.revoked_at !== null) return;
  const check = await checkRequestSignature(deps, request, device.id);
  if (check.kind !== 'valid') {
    throw domainError(
      'unauthenticated',
      check.kind === 'absent' ? 'this call must be signed by the device key' : `request signature refused: ${check.reason}`,
    );
  }
  await deps.db.kysely
    .transaction()
    .execute((trx) => revokeDevice(trx, device.id, device.client_id, deps.clock.now(), webhookEnqueueDeps(deps)));
  deps.log.info({ deviceId: device.id, phone: maskPhone(device.phone_e164) }, 'device unregistered by its key');
}
