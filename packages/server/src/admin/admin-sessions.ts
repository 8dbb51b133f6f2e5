/**
 * @module admin-sessions
 * The operator console's sign-in sessions. The cookie carries a random session id; the table
 * keeps only its SHA-256 hash, so a copy of the database opens no session. Each session has a
 * CSRF token for its forms, a sliding idle timeout and an absolute lifetime, both measured on the
 * injected clock's `now`. A disabled admin's sessions end at once.
 */
import { sha256Hex } from '../lib/hash.js';
import { cryptoRandom, randomToken, type Random } from '../ports/random.js';
import type { Executor } from '../store/executor.js';
import type { Admin } from './admins-repo.js';

/** A session unused for this long has ended (30 minutes). */
export const ADMIN_SESSION_IDLE_MS = 30 * 60 * 1000;
/** A session ends this long after sign-in, however busy (12 hours). */
export const ADMIN_SESSION_MAX_MS = 12 * 60 * 60 * 1000;

/** What sign-in hands the console: the cookie value, the forms' CSRF token, and the absolute end. */
export interface StartedAdminSession {
  /** Goes in the cookie; never stored as is. */
  sessionId: string;
  csrfToken: string;
  /** Epoch ms: the absolute end (a cookie's Expires). */
  expiresAt: number;
}

/** A live session: its admin and CSRF token. */
export interface LiveAdminSession {
  admin: Admin;
  csrfToken: string;
  /** Epoch ms: the absolute end. */
  expiresAt: number;
  /** Epoch ms: when the session ends unless used again (never after `expiresAt`). */
  idleExpiresAt: number;
}

/** Starts a console session for an admin (whose secret the caller has just verified). */
export async function startAdminSession(
  q: Executor,
  adminId: string,
  now: number,
  random: Random = cryptoRandom,
): Promise<StartedAdminSession> {
  const sessionId = `hsac_${randomToken(random, 32)}`;
  const csrfToken = randomToken(random, 32);
  const expiresAt = now + ADMIN_SESSION_MAX_MS;
  await q
    .insertInto('admin_sessions')
    .values({ session_hash: sha256Hex(sessionId), admin_id: adminId, csrf_token: csrfToken, created_at: now, last_seen_at: now, expires_at: expiresAt })
    .execute();
  return { sessionId, csrfToken, expiresAt };
}

/**
 * The live session with this id, or null (unknown, idle too long, past its lifetime, or its
 * admin disabled). Finding it counts as use: the idle timeout starts again from `now`.
 */
export async function findAdminSession(q: Executor, sessionId: string, now: number): Promise<LiveAdminSession | null> {
  const row = await q
    .selectFrom('admin_sessions')
    .innerJoin('admins', 'admins.admin_id', 'admin_sessions.admin_id')
    .select([
      'admin_sessions.session_hash',
      'admin_sessions.csrf_token',
      'admin_sessions.last_seen_at',
      'admin_sessions.expires_at',
      'admins.admin_id',
      'admins.name',
      'admins.created_at',
      'admins.disabled_at',
    ])
    .where('admin_sessions.session_hash', '=', sha256Hex(sessionId))
    .executeTakeFirst();
  if (!row || row.disabled_at !== null) return null;
  if (now >= row.expires_at || now >= row.last_seen_at + ADMIN_SESSION_IDLE_MS) {
    await q.deleteFrom('admin_sessions').where('session_hash', '=', row.session_hash).execute();
    return null;
  }
  await q.updateTable('admin_sessions').set({ last_seen_at: now }).where('session_hash', '=', row.session_hash).execute();
  return {
    admin: { adminId: row.admin_id, name: row.name, createdAt: row.created_at, disabledAt: row.disabled_at },
    csrfToken: row.csrf_token,
    expiresAt: row.expires_at,
    idleExpiresAt: Math.min(row.expires_at, now + ADMIN_SESSION_IDLE_MS),
  };
}

/** Ends a session (sign-out). Returns false when there was none. */
export async function endAdminSession(q: Executor, sessionId: string): Promise<boolean> {
  const result = await q.deleteFrom('admin_sessions').where('session_hash', '=', sha256Hex(sessionId)).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Deletes sessions past their lifetime or idle too long (the periodic clean-up). */
export async function purgeAdminSessions(q: Executor, now: number): Promise<void> {
  await q
    .deleteFrom('admin_sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - ADMIN_SESSION_IDLE_MS)]))
    .execute();
}
