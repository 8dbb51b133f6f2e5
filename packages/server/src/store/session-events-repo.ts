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

/** An entry before it is numbered. */
export type SessionEventInput = Omit<SessionEventsTable, 'seq'>;

const COLUMNS = 'correlation_id, seq, at, type, from_state, to_state, reason, channel, destination';

/**
 * The insert numbers the entry itself (the session's last `seq` + 1, found through the primary
 * key), so a step costs one statement. Callers hold the session's row lock (every step does), so
 * two entries of one session are never numbered at once. Written by hand once per dialect: the
 * text is fixed, so SQLite's statement cache and PostgreSQL's planner see one statement.
 */
const APPEND_SQL: Record<Dialect, string> = {
  sqlite: `insert into session_events (${COLUMNS}) select ?, coalesce(max(seq), 0) + 1, ?, ?, ?, ?, ?, ?, ? from session_events where correlation_id = ?`,
  postgres:
    `insert into session_events (${COLUMNS}) select $1::text, coalesce(max(seq), 0) + 1, $2::bigint, $3::text, $4::text, $5::text, ` +
    `$6::text, $7::text, $8::text from session_events where correlation_id = $1::text`,
};

/** Appends entries to a session's timeline, in order, through the step's transaction. */
export async function appendSessionEvents(q: Executor, dialect: Dialect, events: readonly SessionEventInput[]): Promise<void> {
  for (const e of events) {
    const parameters = [e.correlation_id, e.at, e.type, e.from_state, e.to_state, e.reason, e.channel, e.destination];
    if (dialect === 'sqlite') parameters.push(e.correlation_id);
    await q.executeQuery(CompiledQuery.raw(APPEND_SQL[dialect], parameters));
  }
}

const insertNumbered = compileOnce(
  (db, p) => db.insertInto('session_events').values(p as unknown as SessionEventsTable),
  ['correlation_id', 'seq', 'at', 'type', 'from_state', 'to_state', 'reason', 'channel', 'destination'] as const,
);

/** The first entries of a new session (numbered 1, 2, …), in the transaction that inserts it. */
export async function insertFirstSessionEvents(q: Executor, events: readonly SessionEventInput[]): Promise<void> {
  for (let i = 0; i < events.length; i++) await insertNumbered(q, { ...events[i]!, seq: i + 1 });
}
