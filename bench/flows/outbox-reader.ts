/**
 * @module bench/flows/outbox-reader
 * How the load generator reads a session's SMS (its OTP code or Instant Link) as the phone would
 * receive it: straight from the `sms_outbox` table by the session's correlation id, with one
 * statement prepared once (better-sqlite3 on the SQLite file, a named prepared statement on
 * PostgreSQL) instead of building a Kysely query per read. Nothing goes through the server, so it
 * does no work a phone would not cause.
 */
import SQLite from 'better-sqlite3';
import pg from 'pg';
import type { SentSms } from '../../scripts/soak/flows.js';

const QUERY = 'select body from sms_outbox where correlation_id = $1 order by sent_at desc limit 1';
const POLL_MS = 10;
const ATTEMPTS = 1000;

export interface OutboxReader {
  /** The SMS of session `correlationId`, polled for up to 10 s. */
  sms(phone: string, correlationId: string): Promise<SentSms>;
  close(): Promise<void>;
}

function parse(body: string): SentSms {
  const link = /(https?:\/\/\S+)/.exec(body)?.[1] ?? null;
  return { code: /\b(\d{4,6})\b/.exec(body)?.[1] ?? null, linkPath: link ? new URL(link).pathname : null };
}

async function poll(read: () => Promise<string | undefined> | string | undefined): Promise<SentSms> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const body = await read();
    if (body !== undefined) return parse(body);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error('no SMS for the session in the outbox');
}

/** A reader of the SQLite file `path` (read-only; WAL lets it read while the server writes). */
export function sqliteOutbox(path: string): OutboxReader {
  const db = new SQLite(path, { readonly: true, fileMustExist: true });
  const statement = db.prepare<[string], { body: string }>(QUERY.replace('$1', '?'));
  return {
    sms: (_phone, correlationId) => poll(() => statement.get(correlationId)?.body),
    close: async () => void db.close(),
  };
}

/** A reader of the PostgreSQL database at `url` (the scratch schema's URL). */
export function postgresOutbox(url: string): OutboxReader {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => {});
  return {
    sms: (_phone, correlationId) =>
      poll(async () => (await pool.query<{ body: string }>({ name: 'bench_outbox_sms', text: QUERY, values: [correlationId] })).rows[0]?.body),
    close: () => pool.end(),
  };
}
