/**
 * @module audit-log
 * The audit of admin calls: who (admin id), what (action and target), when, from where (the
 * caller's address), with a small JSON detail. Write it with the executor of the change it
 * records, so the entry and the change commit or roll back together.
 *
 * Entries never hold a secret or a full phone number: callers pass masked numbers, and
 * {@link recordAudit} masks any digit run long enough to be one and drops fields named like
 * secrets, in case one slips through.
 */
import type { Executor } from '../store/executor.js';

/** What an audit entry records. */
export interface AuditInput {
  /** Null when the caller is not (yet) an admin: a refused sign-in. */
  adminId: string | null;
  /** A dotted verb such as `devices.revoke`, `sessions.search`, `token.refused`. */
  action: string;
  /** What it acted on: an id, or null. */
  target?: string | null;
  /** A small object; no secrets, numbers masked. */
  detail?: Record<string, unknown> | null;
  /** The caller's address. */
  address?: string | null;
  /** Epoch ms; defaults to the wall clock. */
  at?: number;
}

/** One entry as read back. */
export interface AuditEntry {
  id: number;
  at: number;
  adminId: string | null;
  action: string;
  target: string | null;
  detail: Record<string, unknown> | null;
  address: string | null;
}

/** Filters of {@link listAudit}; all optional but `limit`. */
export interface AuditFilter {
  adminId?: string;
  /** Exact action, e.g. `devices.revoke`. */
  action?: string;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  limit: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

const SECRET_FIELD = /secret|password|token|otp|code|hash/i;
/** A phone-number-like run of digits standing alone (not part of an id such as a UUID). */
const LONG_DIGITS = /(?<![0-9A-Za-z_-])\+?\d{7,}(?![0-9A-Za-z_-])/g;
const MAX_TARGET = 200;
const MAX_DETAIL_CHARS = 2000;

function maskDigits(run: string): string {
  const digits = run.replace('+', '');
  return `${run.startsWith('+') ? '+' : ''}${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`;
}

/** A copy of `value` fit for the audit: secret-named fields dropped, long digit runs masked. */
function cleanDetail(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(LONG_DIGITS, maskDigits).slice(0, 300);
  if (value === null || typeof value !== 'object' || depth > 3) return typeof value === 'object' ? null : value;
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => cleanDetail(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!SECRET_FIELD.test(k) && v !== undefined) out[k] = cleanDetail(v, depth + 1);
  return out;
}

/** Writes one audit entry through `q` (the transaction of the change it records, if any). */
export async function recordAudit(q: Executor, input: AuditInput): Promise<void> {
  let detail = input.detail ? JSON.stringify(cleanDetail(input.detail)) : null;
  if (detail !== null && detail.length > MAX_DETAIL_CHARS) detail = JSON.stringify({ truncated: true });
  await q
    .insertInto('admin_audit')
    .values({
      at: input.at ?? Date.now(),
      admin_id: input.adminId,
      action: input.action,
      target: input.target ? (cleanDetail(input.target) as string).slice(0, MAX_TARGET) : null,
      detail,
      address: input.address ?? null,
    })
    .execute();
}

function parseDetail(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A cursor is the id of the last entry shown, as decimal text. */
function cursorId(cursor: string | undefined): number | null {
  if (cursor === undefined) return null;
  if (!/^[0-9]{1,15}$/.test(cursor)) throw new RangeError('cursor is not one this API handed out');
  return Number(cursor);
}

/** Audit entries, newest first, one page at a time. Throws RangeError for a malformed cursor. */
export async function listAudit(q: Executor, filter: AuditFilter): Promise<AuditPage> {
  const before = cursorId(filter.cursor);
  let query = q.selectFrom('admin_audit').selectAll();
  if (filter.adminId !== undefined) query = query.where('admin_id', '=', filter.adminId);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  if (filter.from !== undefined) query = query.where('at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('at', '<', filter.to);
  if (before !== null) query = query.where('id', '<', before);
  const rows = await query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
  const page = rows.slice(0, filter.limit);
  return {
    entries: page.map((r) => ({
      id: Number(r.id),
      at: r.at,
      adminId: r.admin_id,
      action: r.action,
      target: r.target,
      detail: parseDetail(r.detail),
      address: r.address,
    })),
    nextCursor: rows.length > filter.limit ? String(page[page.length - 1]!.id) : null,
  };
}
