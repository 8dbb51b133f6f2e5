/**
 * @module sessions-repo
 * Unify sessions. Every state change goes through flows/session-state.ts first; this module only
 * reads and writes rows.
 */
import type { Executor } from './executor.js';
import type { Dialect } from './database.js';
import { compileOnce, compileOncePerShape } from './compiled-query.js';
import type { SessionsTable } from './schema.js';

export type SessionRow = SessionsTable;

/** Every column of a session row, in one place (the compiled insert lists them all). */
const SESSION_COLUMNS = [
  'correlation_id', 'auth_id', 'client_id', 'token_id', 'state', 'possession_type', 'phone_e164',
  'phone_display', 'prove_id', 'challenge', 'final_target_url', 'sms_message', 'allow_otp_retry',
  'rebind', 'client_request_id', 'client_customer_id', 'client_human_id', 'email_address',
  'ip_address', 'device_id', 'device_match', 'failure_reason', 'otp_hash', 'otp_sent_at',
  'otp_attempts', 'otp_resends', 'link_hash', 'link_sent_at', 'link_resends', 'proof_to', 'mobile_auth_token',
  'mobile_auth_confirmed', 'created_at', 'expires_at', 'ended_at', 'purge_at', 'sim_swap_risk', 'mobile_auth_vouched',
  'policy_reasons',
] as const satisfies ReadonlyArray<keyof SessionRow>;

// Compile-time check that SESSION_COLUMNS names every column.
type Missing = Exclude<keyof SessionRow, (typeof SESSION_COLUMNS)[number]>;
const _allColumns: Missing extends never ? true : Missing = true;
void _allColumns;

const insertCompiled = compileOnce(
  (db, p) => db.insertInto('sessions').values(p as unknown as SessionRow),
  SESSION_COLUMNS,
);

export async function insertSession(q: Executor, row: SessionRow): Promise<void> {
  await insertCompiled(q, row);
}

/** The columns `unify-status` reads: its hot path selects only these. */
export const STATUS_COLUMNS = [
  'correlation_id', 'state', 'possession_type', 'expires_at', 'link_sent_at', 'phone_display',
  'prove_id', 'client_human_id', 'failure_reason', 'device_id', 'sim_swap_risk', 'policy_reasons',
] as const satisfies ReadonlyArray<keyof SessionRow>;
export type StatusRow = Pick<SessionRow, (typeof STATUS_COLUMNS)[number]>;

const selectStatus = compileOnce(
  (db, p) =>
    db.selectFrom('sessions').select(STATUS_COLUMNS).where('correlation_id', '=', p.correlationId).where('client_id', '=', p.clientId),
  ['correlationId', 'clientId'],
);

/** Reads what unify-status needs of one client's session (tenant isolation lives in this `where`). */
export async function findStatusForClient(q: Executor, correlationId: string, clientId: string): Promise<StatusRow | undefined> {
  return (await selectStatus(q, { correlationId, clientId }))[0] as StatusRow | undefined;
}

type LookupColumn = 'correlation_id' | 'auth_id' | 'link_hash' | 'mobile_auth_token';

/**
 * One compiled select of the whole row per lookup column, locking (`for update`) or not. The
 * columns are listed, not `*`: a prepared statement's result columns must not change when a
 * migration adds one (store/prepared-statements.ts).
 */
function selectSessionBy(column: LookupColumn, forUpdate: boolean): (q: Executor, values: { value: unknown }) => Promise<SessionRow[]> {
  return compileOnce((db, p) => {
    const query = db.selectFrom('sessions').select(SESSION_COLUMNS).where(column, '=', p.value);
    return forUpdate ? query.forUpdate() : query;
  }, ['value']);
}

const LOOKUP_COLUMNS = ['correlation_id', 'auth_id', 'link_hash', 'mobile_auth_token'] as const satisfies readonly LookupColumn[];
const selectBy = Object.fromEntries(LOOKUP_COLUMNS.map((c) => [c, selectSessionBy(c, false)])) as Record<LookupColumn, ReturnType<typeof selectSessionBy>>;
const lockBy = Object.fromEntries(LOOKUP_COLUMNS.map((c) => [c, selectSessionBy(c, true)])) as Record<LookupColumn, ReturnType<typeof selectSessionBy>>;

/** Reads and, on PostgreSQL, row-locks a session inside a transaction. SQLite transactions are serial already. */
export async function lockSession(
  q: Executor,
  dialect: Dialect,
  where: { column: LookupColumn; value: string },
): Promise<SessionRow | undefined> {
  return (await (dialect === 'postgres' ? lockBy : selectBy)[where.column](q, { value: where.value }))[0];
}

const selectTokenId = compileOnce((db, p) => db.selectFrom('sessions').select('token_id').where('auth_id', '=', p.authId), ['authId']);

/**
 * The id of the authToken minted for the session `authId`, or undefined when there is no such
 * session: what authenticating a client-protocol call needs, without materialising the whole row
 * (the step that follows reads it under lock anyway).
 */
export async function findSessionTokenId(q: Executor, authId: string): Promise<string | undefined> {
  return (await selectTokenId(q, { authId }))[0]?.token_id;
}

export async function findSessionBy(
  q: Executor,
  column: 'auth_id' | 'link_hash' | 'mobile_auth_token',
  value: string,
): Promise<SessionRow | undefined> {
  return (await selectBy[column](q, { value }))[0];
}

/** The marker of the row's key in the compiled update (no session column has this name). */
const UPDATE_KEY = '\u0000key';

const updateCompiled = compileOncePerShape<never, string>((db, p, names) =>
  db
    .updateTable('sessions')
    .set(Object.fromEntries(names.filter((n) => n !== UPDATE_KEY).map((n) => [n, p[n]])))
    .where('correlation_id', '=', p[UPDATE_KEY]!),
);

export async function updateSession(q: Executor, correlationId: string, changes: Partial<SessionRow>): Promise<void> {
  // Kysely's `set` leaves out undefined values; so does this.
  const columns = Object.keys(changes).filter((c) => changes[c as keyof SessionRow] !== undefined);
  if (columns.length === 0) return;
  // One compiled statement per set of columns written (steps write a few fixed sets).
  columns.push(UPDATE_KEY);
  await updateCompiled(q, columns, { ...changes, [UPDATE_KEY]: correlationId });
}

/** Deletes sessions whose retention has passed. */
export async function purgeSessions(q: Executor, now: number): Promise<number> {
  const result = await q.deleteFrom('sessions').where('purge_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
