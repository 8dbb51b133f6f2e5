/**
 * @module admin-tokens
 * Bearer tokens of the admin API: `POST /admin/v1/token` trades an admin's id and secret for a
 * token that lives {@link ADMIN_TOKEN_TTL_SECONDS}. The table keeps only the token's SHA-256 hash.
 * Every use reads the token together with its admin, so disabling an admin ends its tokens at once
 * on every instance.
 */
import { sha256Hex } from '../lib/hash.js';
import { cryptoRandom, randomToken, type Random } from '../ports/random.js';
import type { Executor } from '../store/executor.js';
import type { Admin } from './admins-repo.js';

/** How long an admin API token lives: 15 minutes. */
export const ADMIN_TOKEN_TTL_SECONDS = 15 * 60;

/** A token handed out once. */
export interface IssuedAdminToken {
  token: string;
  expiresAt: number;
}

/** Issues a token for an admin (whose secret the caller has just verified). */
export async function issueAdminToken(q: Executor, adminId: string, now: number, random: Random = cryptoRandom): Promise<IssuedAdminToken> {
  const token = `hsat_${randomToken(random, 32)}`;
  const expiresAt = now + ADMIN_TOKEN_TTL_SECONDS * 1000;
  await q.insertInto('admin_tokens').values({ token_hash: sha256Hex(token), admin_id: adminId, created_at: now, expires_at: expiresAt }).execute();
  return { token, expiresAt };
}

/** The admin a live token belongs to, or null (unknown, expired, or its admin disabled). */
export async function findAdminByToken(q: Executor, token: string, now: number): Promise<Admin | null> {
  const row = await q
    .selectFrom('admin_tokens')
    .innerJoin('admins', 'admins.admin_id', 'admin_tokens.admin_id')
    .select(['admins.admin_id', 'admins.name', 'admins.created_at', 'admins.disabled_at', 'admin_tokens.expires_at'])
    .where('admin_tokens.token_hash', '=', sha256Hex(token))
    .executeTakeFirst();
  if (!row || row.disabled_at !== null || now >= row.expires_at) return null;
  return { adminId: row.admin_id, name: row.name, createdAt: row.created_at, disabledAt: row.disabled_at };
}

/** Deletes expired tokens (the periodic clean-up). */
export async function purgeAdminTokens(q: Executor, now: number): Promise<void> {
  await q.deleteFrom('admin_tokens').where('expires_at', '<=', now).execute();
}
