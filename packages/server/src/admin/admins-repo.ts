/**
 * @module admins-repo
 * Operators' credentials (issue 14). An admin is an id and a secret, created by
 * `handset admins create`; the secret is shown once and stored only as a SHA-256 hash, exactly as
 * client secrets are (256 random bits need no slow KDF: there is nothing to guess). A disabled
 * admin's secret, API tokens and console sessions stop working at once.
 */
import { safeEqual, sha256Hex } from '../lib/hash.js';
import { systemClock, type Clock } from '../ports/clock.js';
import { cryptoRandom, randomToken, type Random } from '../ports/random.js';
import type { Executor } from '../store/executor.js';

/** An admin as callers see it: never its secret or hash. */
export interface Admin {
  adminId: string;
  name: string;
  createdAt: number;
  /** Epoch ms, or null while the admin may sign in. */
  disabledAt: number | null;
}

/** A new admin's credentials: the secret is returned here once and never again. */
export interface NewAdmin {
  adminId: string;
  secret: string;
}

/** Where ids, secrets and times come from (tests pass their own). */
export interface AdminDeps {
  clock: Clock;
  random: Random;
}

const defaultDeps: AdminDeps = { clock: systemClock, random: cryptoRandom };

/** The longest admin name accepted (it is shown in the console and the audit). */
export const ADMIN_NAME_MAX = 100;

function toAdmin(row: { admin_id: string; name: string; created_at: number; disabled_at: number | null }): Admin {
  return { adminId: row.admin_id, name: row.name, createdAt: row.created_at, disabledAt: row.disabled_at };
}

/**
 * Creates an admin and returns its id and secret (shown once).
 *
 * @example
 * const { adminId, secret } = await createAdmin(db.kysely, { name: 'alice' });
 */
export async function createAdmin(q: Executor, input: { name: string }, deps: AdminDeps = defaultDeps): Promise<NewAdmin> {
  const name = input.name.trim();
  if (name.length === 0 || name.length > ADMIN_NAME_MAX) throw new Error(`an admin name must have 1 to ${ADMIN_NAME_MAX} characters`);
  const adminId = `hsa_${randomToken(deps.random, 12)}`;
  const secret = `hsas_${randomToken(deps.random, 32)}`;
  await q
    .insertInto('admins')
    .values({ admin_id: adminId, name, secret_hash: sha256Hex(secret), created_at: deps.clock.now(), disabled_at: null })
    .execute();
  return { adminId, secret };
}

/** The hash compared when the admin is unknown, so both cases do the same work. */
const NO_HASH = '0'.repeat(64);

/**
 * The admin whose secret this is, or null: unknown id, wrong secret, or a disabled admin. The
 * comparison is constant-time and runs whether or not the admin exists.
 */
export async function verifyAdminSecret(q: Executor, adminId: string, secret: string): Promise<Admin | null> {
  const row = await q.selectFrom('admins').selectAll().where('admin_id', '=', adminId).executeTakeFirst();
  const matches = safeEqual(sha256Hex(secret), row?.secret_hash ?? NO_HASH);
  if (!row || !matches || row.disabled_at !== null) return null;
  return toAdmin(row);
}

/** One admin by id (disabled ones too), or null. */
export async function findAdmin(q: Executor, adminId: string): Promise<Admin | null> {
  const row = await q
    .selectFrom('admins')
    .select(['admin_id', 'name', 'created_at', 'disabled_at'])
    .where('admin_id', '=', adminId)
    .executeTakeFirst();
  return row ? toAdmin(row) : null;
}

/** Every admin, oldest first (there are few). */
export async function listAdmins(q: Executor): Promise<Admin[]> {
  const rows = await q
    .selectFrom('admins')
    .select(['admin_id', 'name', 'created_at', 'disabled_at'])
    .orderBy('created_at')
    .orderBy('admin_id')
    .execute();
  return rows.map(toAdmin);
}

/**
 * Disables an admin for good and ends its API tokens and console sessions. Returns false for an
 * unknown admin; disabling twice keeps the first time.
 */
export async function disableAdmin(q: Executor, adminId: string, now: number = Date.now()): Promise<boolean> {
  const found = await q.selectFrom('admins').select(['disabled_at']).where('admin_id', '=', adminId).executeTakeFirst();
  if (!found) return false;
  if (found.disabled_at === null) await q.updateTable('admins').set({ disabled_at: now }).where('admin_id', '=', adminId).execute();
  await q.deleteFrom('admin_tokens').where('admin_id', '=', adminId).execute();
  await q.deleteFrom('admin_sessions').where('admin_id', '=', adminId).execute();
  return true;
}
