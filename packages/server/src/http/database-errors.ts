/**
 * @module database-errors
 * Recognises "the database cannot serve us right now" failures, which become 503 `{code: 8013}`
 * (retry shortly) instead of 500: PostgreSQL unreachable, restarting, out of connections or disk;
 * SQLite locked, out of disk or failing to write.
 */
import { isFromDatabase } from '../store/driver-errors.js';

/** PostgreSQL SQLSTATEs (by class or in full) meaning the server cannot serve us now. */
const POSTGRES_UNAVAILABLE = [
  /^08/, // connection exception
  /^53/, // insufficient resources: disk full (53100), out of memory, too many connections
  /^57P0[1-4]$/, // admin, crash or other shutdown; cannot connect now (starting up, shutting down); database dropped
  /^58/, // system error: I/O error, undefined file
  /^25006$/, // read-only transaction: a standby, or a primary demoted by a failover
];

/** SQLite primary result codes (better-sqlite3 reports extended ones, e.g. SQLITE_IOERR_WRITE). */
const SQLITE_UNAVAILABLE = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_READONLY', 'SQLITE_CANTOPEN']);

/** Network failures: database faults only when the database driver raised them (an HTTP client hanging up raises them too). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** pg's and pg-pool's words for a lost, closed or unobtainable connection. */
const CONNECTION_MESSAGE =
  /Connection terminated|connection is closed|is not queryable|timeout exceeded when trying to connect|Cannot use a pool after calling end/i;

export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (/^[0-9A-Z]{5}$/.test(code) && POSTGRES_UNAVAILABLE.some((pattern) => pattern.test(code))) return true;
  if (SQLITE_UNAVAILABLE.has(/^SQLITE_[A-Z]+/.exec(code)?.[0] ?? '')) return true;
  if (NETWORK_CODES.has(code)) return isFromDatabase(error);
  return typeof e.message === 'string' && CONNECTION_MESSAGE.test(e.message);
}
