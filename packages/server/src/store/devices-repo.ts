/**
 * @module devices-repo
 * Prove Keys (device keys), the identities (proveId per phone number) they are bound to,
 * and the request-signing challenges issued for them.
 */
import type { Executor } from './executor.js';
import { compileOnce, compileOncePerShape } from './compiled-query.js';
import type { DevicesTable } from './schema.js';
import { enqueueWebhookEvent, type WebhookEnqueueDeps } from '../webhooks/events.js';

export type DeviceRow = DevicesTable;

const DEVICE_COLUMNS = [
  'id', 'client_id', 'key_id', 'public_key', 'phone_e164', 'created_at', 'bound_at', 'last_used_at', 'revoked_at',
] as const satisfies ReadonlyArray<keyof DeviceRow>;

// Compile-time check that DEVICE_COLUMNS names every column.
type Missing = Exclude<keyof DeviceRow, (typeof DEVICE_COLUMNS)[number]>;
const _allColumns: Missing extends never ? true : Missing = true;
void _allColumns;

const insertCompiled = compileOnce((db, p) => db.insertInto('devices').values(p as unknown as DeviceRow), DEVICE_COLUMNS);

export async function insertDevice(q: Executor, row: DeviceRow): Promise<void> {
  await insertCompiled(q, row);
}

/** Reads a device of one client; revoked devices are returned too (callers decide). */
export async function findDevice(q: Executor, id: string, clientId?: string): Promise<DeviceRow | undefined> {
  let query = q.selectFrom('devices').selectAll().where('id', '=', id);
  if (clientId !== undefined) query = query.where('client_id', '=', clientId);
  return query.executeTakeFirst();
}

/** The marker of the row's key in the compiled update (no device column has this name). */
const UPDATE_KEY = '\u0000key';

const updateCompiled = compileOncePerShape<never, string>((db, p, names) =>
  db
    .updateTable('devices')
    .set(Object.fromEntries(names.filter((n) => n !== UPDATE_KEY).map((n) => [n, p[n]])))
    .where('id', '=', p[UPDATE_KEY]!),
);

export async function updateDevice(q: Executor, id: string, changes: Partial<DeviceRow>): Promise<void> {
  // Kysely's `set` leaves out undefined values; so does this. One compiled statement per set of columns.
  const columns = Object.keys(changes).filter((c) => changes[c as keyof DeviceRow] !== undefined);
  if (columns.length === 0) return;
  columns.push(UPDATE_KEY);
  await updateCompiled(q, columns, { ...changes, [UPDATE_KEY]: id });
}

/**
 * Marks a device revoked; returns false when it is unknown to the client. The one place a key is
 * revoked (/v3/device/revoke, the device's own unregistration, the admin API and console): with
 * `webhooks`, the first revocation enqueues `device.revoked` in `q`'s transaction (docs/webhooks.md).
 */
export async function revokeDevice(q: Executor, id: string, clientId: string, now: number, webhooks?: WebhookEnqueueDeps): Promise<boolean> {
  const device = await findDevice(q, id, clientId);
  if (!device) return false;
  if (device.revoked_at === null) {
    await updateDevice(q, id, { revoked_at: now });
    if (webhooks) {
      await enqueueWebhookEvent(q, webhooks, { type: 'device.revoked', clientId, phoneE164: device.phone_e164, data: { deviceId: device.id } });
    }
  }
  return true;
}

const selectIdentity = compileOnce(
  (db, p) => db.selectFrom('identities').select('prove_id').where('client_id', '=', p.clientId).where('phone_e164', '=', p.phone),
  ['clientId', 'phone'],
);

/** Inserts an identity unless the number has one already; returns the row only when it inserted it. */
const insertIdentity = compileOnce(
  (db, p) =>
    db
      .insertInto('identities')
      .values({ client_id: p.clientId, phone_e164: p.phone, prove_id: p.proveId, created_at: p.now as unknown as number })
      .onConflict((oc) => oc.columns(['client_id', 'phone_e164']).doNothing())
      .returning('prove_id'),
  ['clientId', 'phone', 'proveId', 'now'],
);

/** Returns the proveId of a client's phone number, creating it on first use. */
export async function ensureIdentity(
  q: Executor,
  clientId: string,
  phone: string,
  newProveId: () => string,
  now: number,
): Promise<string> {
  const existing = (await selectIdentity(q, { clientId, phone }))[0];
  if (existing) return existing.prove_id;
  const inserted = (await insertIdentity(q, { clientId, phone, proveId: newProveId(), now }))[0];
  if (inserted) return inserted.prove_id;
  // Another transaction inserted it between the two statements: read theirs.
  const row = (await selectIdentity(q, { clientId, phone }))[0];
  if (!row) throw new Error('identity vanished after a conflicting insert');
  return row.prove_id;
}

/** Looks up the phone number of a client's proveId. */
export async function findIdentityByProveId(
  q: Executor,
  clientId: string,
  proveId: string,
): Promise<{ phone_e164: string } | undefined> {
  return q
    .selectFrom('identities')
    .select('phone_e164')
    .where('client_id', '=', clientId)
    .where('prove_id', '=', proveId)
    .executeTakeFirst();
}

/** Inserts a challenge and deletes the device's expired ones, so a device's rows never pile up. */
export async function insertChallenge(q: Executor, challenge: string, deviceId: string, expiresAt: number, now: number): Promise<void> {
  await q.deleteFrom('challenges').where('device_id', '=', deviceId).where('expires_at', '<=', now).execute();
  await q.insertInto('challenges').values({ challenge, device_id: deviceId, expires_at: expiresAt }).execute();
}

/** The device's challenge that lives longest, if it lives at least until `liveUntil`. */
export async function findLiveChallenge(
  q: Executor,
  deviceId: string,
  liveUntil: number,
): Promise<{ challenge: string; expires_at: number } | undefined> {
  return q
    .selectFrom('challenges')
    .select(['challenge', 'expires_at'])
    .where('device_id', '=', deviceId)
    .where('expires_at', '>=', liveUntil)
    .orderBy('expires_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function findChallenge(
  q: Executor,
  challenge: string,
): Promise<{ device_id: string; expires_at: number } | undefined> {
  return q.selectFrom('challenges').select(['device_id', 'expires_at']).where('challenge', '=', challenge).executeTakeFirst();
}
