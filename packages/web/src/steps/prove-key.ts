/**
 * @module steps/prove-key
 * `device/passive` and `device/passive/silent` in the primary role (`client-protocol.md` §2.2,
 * §3.3, §4): verify with the namespace's Prove Key if there is one, otherwise create, register and
 * store a new key. When this browser cannot keep a key (no IndexedDB, CryptoKeys refused, no
 * WebCrypto) the step fails *reportably*, so the SDK reports to `device/passive/error` and follows
 * the server's `next`: the flow degrades to possession checks instead of failing.
 */
import { ClientPath } from '@handset/protocol/browser';
import { exportPublicKeyPem, generateProveKey, randomUuid, signMessage } from '../device-key.js';
import { AuthError } from '../errors.js';
import { loadRegistration, probeRegistration, saveRegistration, type Registration } from '../key-store.js';
import { deviceCapabilities, deviceName } from '../platform.js';
import type { FlowContext } from '../session.js';
import { SettingKey, writeSetting } from '../settings.js';
import { callServer, serverFailure } from '../transport.js';

/**
 * `signals` of register/verify. With `sgnls.fpt` the protocol asks for a Device-Context
 * fingerprint; this SDK has no fingerprint module, so it sends the documented "module missing"
 * form `{fingerprint: {error}}` (§1.2).
 */
function signals(ctx: FlowContext): Record<string, unknown> {
  const dev = ctx.claims.auth.subs.dev as { sgnls?: { fpt?: unknown } } | undefined;
  return dev?.sgnls?.fpt ? { fingerprint: { error: 'Device Context integration is not available' } } : {};
}

function unavailable(error: unknown): AuthError {
  const detail = error instanceof Error ? error.message : String(error);
  return new AuthError(`Cannot keep a Prove Key in this browser: ${detail}`, { reportable: true, cause: error });
}

/** Runs the Prove Key step and resolves with the server's `next`. */
export async function proveKeyStep(ctx: FlowContext): Promise<unknown> {
  const { session, claims } = ctx;
  const challenge = claims.auth.chlg;
  const existing = await loadRegistration(session.namespace);
  if (existing?.deviceId) {
    const reply = await callServer(session, ClientPath.DEVICE_PASSIVE_VERIFY, {
      deviceId: existing.deviceId,
      keyId: existing.keyId,
      signature: await signMessage(existing.keys.privateKey, `${existing.deviceId}:${challenge}`),
      signals: signals(ctx),
    });
    if (reply.error) throw serverFailure(reply);
    return reply.next;
  }

  let record: Registration;
  let publicKeyPem: string;
  let signature: string;
  try {
    const keys = await generateProveKey();
    record = {
      namespace: session.namespace,
      endpoint: session.endpoint,
      keyId: randomUuid(),
      algorithm: 'ES256',
      createdAt: Math.floor(Date.now() / 1000),
      keys,
    };
    await probeRegistration(record);
    publicKeyPem = await exportPublicKeyPem(keys.publicKey);
    signature = await signMessage(keys.privateKey, challenge ?? '');
  } catch (error) {
    throw unavailable(error);
  }
  const reply = await callServer(session, ClientPath.DEVICE_PASSIVE_REGISTER, {
    deviceName: deviceName(),
    deviceCapabilities: deviceCapabilities(),
    registrations: [{ publicKey: { id: record.keyId, alg: 'ES256', key: publicKeyPem, uvLevel: 0 }, signature }],
    signals: signals(ctx),
  });
  if (reply.error) throw serverFailure(reply);
  const deviceId = (reply.data as { deviceId?: unknown } | undefined)?.deviceId;
  if (typeof deviceId !== 'string' || deviceId === '') {
    throw new AuthError('returned deviceId is null or empty', { reportable: true });
  }
  await writeSetting(session.storage, SettingKey.DEVICE_ID, deviceId);
  try {
    await saveRegistration({ ...record, deviceId });
  } catch (error) {
    throw unavailable(error);
  }
  return reply.next;
}
