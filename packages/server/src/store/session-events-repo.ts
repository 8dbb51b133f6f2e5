/**
 * @module session-events-repo
 * A session's timeline (`session_events`): one row per step the state machine judged, written in
 * the transaction of that step, so a step that rolls back leaves no entry. Rows carry states,
 * reasons, a channel and a masked destination; never a code, token or full number.
 */
import { CompiledQuery } from 'kysely';
import type { Dialect } from './database.js';
import type { Executor } from './executor.js';
import { compileOnce } from './compiled-query.js';
import type { SessionEventsTable } from './schema.js';
import type { StagedNotify } from '../events/event-bus.js';

/** An entry before it is numbered. */
export type SessionEventInput = Omit<SessionEventsTable, 'seq'>;

const COLUMNS = 'correlation_id, seq, at, type, from_state, to_state, reason, channel, destination';

/** The entry's own columns, in the order of each row of the statement below. */
const ENTRY_COLUMNS = ['at', 'type', 'from_state', 'to_state', 'reason', 'channel', 'destination'] as const;
const PG_TYPES: Record<(typeof ENTRY_COLUMNS)[number], string> = {
  at: 'bigint', type: 'text', from_state: 'text', to_state: 'text', reason: 'text', channel: 'text', destination: 'text',
};

/**
 * One statement appends every entry of a step, numbering them itself: the session's last `seq`
 * (found through the primary key) + 1, + 2, … in the order given, so a step costs one statement
 * (one round trip on PostgreSQL) however many entries it judged. Callers hold the session's row
 * lock (every step does), so two appends to one session are never numbered at once. The text
 * depends only on the dialect and the number of entries (cached), so SQLite's statement cache and
 * PostgreSQL's planner see a few fixed statements.
 */
function appendSql(dialect: Dialect, count: number, withNotify: boolean): string {
  const rows: string[] = [];
  let next = 2; // $1 is the correlation id
  for (let i = 1; i <= count; i++) {
    const cells = ENTRY_COLUMNS.map((c) => (dialect === 'postgres' ? `$${next++}::${PG_TYPES[c]}` : '?'));
    rows.push(`(${i}, ${cells.join(', ')})`);
  }
  const id = dialect === 'postgres' ? '$1::text' : '?';
  // SQLite names a VALUES list's columns column1, column2, …; PostgreSQL takes an alias list.
  const v = dialect === 'postgres' ? ['n', ...ENTRY_COLUMNS] : Array.from({ length: ENTRY_COLUMNS.length + 1 }, (_, i) => `column${i + 1}`);
  const alias = dialect === 'postgres' ? ` as v (${v.join(', ')})` : ' as v';
  const insert =
    `insert into session_events (${COLUMNS}) select ${id}, b.last + v.${v[0]}, ${v.slice(1).map((c) => `v.${c}`).join(', ')} ` +
    `from (values ${rows.join(', ')})${alias}, (select coalesce(max(seq), 0) as last from session_events where correlation_id = ${id}) as b ` +
    `order by v.${v[0]}`;
  // PostgreSQL runs a data-modifying WITH whether or not the outer query reads it.
  return withNotify ? `with appended as (${insert}) select pg_notify($${next}::text, $${next + 1}::text)` : insert;
}

const appendSqlCache = new Map<string, string>();

function cachedAppendSql(dialect: Dialect, count: number, withNotify: boolean): string {
  const key = `${dialect}:${count}:${withNotify}`;
  let text = appendSqlCache.get(key);
  if (text === undefined) {
    text = appendSql(dialect, count, withNotify);
    // Steps judge a handful of entries; a rare long batch is built again rather than kept.
    if (count <= 32) appendSqlCache.set(key, text);
  }
  return text;
}

/**
 * Appends entries to one session's timeline, in order, through the step's transaction, in one
 * statement. Every entry must belong to the same session. `notify` (PostgreSQL only): the step's
 * NOTIFY (events/event-bus.ts), sent by the same statement.
 */
export async function appendSessionEvents(
  q: Executor,
  dialect: Dialect,
  events: readonly SessionEventInput[],
  notify: StagedNotify | null = null,
): Promise<void> {
  if (notify && dialect !== 'postgres') throw new Error('appendSessionEvents: NOTIFY is PostgreSQL only');
  if (events.length === 0) {
    if (notify) await q.executeQuery(CompiledQuery.raw('select pg_notify($1::text, $2::text)', [notify.channel, notify.payload]));
    return;
  }
  const correlationId = events[0]!.correlation_id;
  const values: unknown[] = [];
  for (const e of events) {
    if (e.correlation_id !== correlationId) throw new Error('appendSessionEvents: every entry must belong to one session');
    values.push(e.at, e.type, e.from_state, e.to_state, e.reason, e.channel, e.destination);
  }
  // PostgreSQL numbers its parameters ($1 used twice); SQLite's `?` are positional: the id comes first and last.
  const parameters = dialect === 'postgres' ? [correlationId, ...values] : [correlationId, ...values, correlationId];
  if (notify) parameters.push(notify.channel, notify.payload);
  await q.executeQuery(CompiledQuery.raw(cachedAppendSql(dialect, events.length, notify !== null), parameters));
}

const insertNumbered = compileOnce(
  (db, p) => db.insertInto('session_events').values(p as unknown as SessionEventsTable),
  ['correlation_id', 'seq', 'at', 'type', 'from_state', 'to_state', 'reason', 'channel', 'destination'] as const,
);

/** The first entries of a new session (numbered 1, 2, …), in the transaction that inserts it. */
export async function insertFirstSessionEvents(q: Executor, events: readonly SessionEventInput[]): Promise<void> {
  for (let i = 0; i < events.length; i++) await insertNumbered(q, { ...events[i]!, seq: i + 1 });
}
