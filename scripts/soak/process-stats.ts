/**
 * @module soak/process-stats
 * What the soak records about the server process, read from outside it (Linux /proc, the file
 * system, PostgreSQL's catalog): nothing is added to the server for the soak.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import pg from 'pg';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Resident set size in MB (VmRSS). */
export function rssMb(pid: number): number {
  const line = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!line) throw new Error(`no VmRSS for process ${pid}`);
  return Number(line[1]) / 1024;
}

/**
 * Resident size in MB of the C heap (the `[heap]` mapping: glibc's main arena), where SQLite keeps
 * its page cache (better-sqlite3 builds SQLite with a 16 MB default) and other native allocations
 * live; the rest of the RSS is mostly V8's heap and code.
 */
export function nativeHeapMb(pid: number): number {
  let inHeap = false;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inHeap = line.endsWith('[heap]');
    else if (inHeap && line.startsWith('Rss:')) return Number(line.split(/\s+/)[1]) / 1024;
  }
  return 0;
}

/** Open file descriptors: sockets, database files, pipes. */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** CPU seconds used so far (user + system). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** Database size in MB: the data, and the write-ahead log apart (it is reused, not grown, after a checkpoint). */
export interface DatabaseSize {
  dataMb: number;
  walMb: number;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // not there (yet)
  }
}

/** A SQLite database on disk: the file, and its WAL plus shared-memory index. */
export function sqliteSize(path: string): DatabaseSize {
  return { dataMb: sizeOf(path) / 1024 / 1024, walMb: (sizeOf(`${path}-wal`) + sizeOf(`${path}-shm`)) / 1024 / 1024 };
}

/** Sizes of the tables and indexes of one PostgreSQL schema, in MB. */
export class PostgresSize {
  readonly #client: pg.Client;
  readonly #schema: string;
  constructor(url: string, schema: string) {
    this.#client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    this.#client.on('error', () => {});
    this.#schema = schema;
  }
  async start(): Promise<void> {
    await this.#client.connect();
  }
  /** The schema's tables with their indexes and TOAST (the WAL is the cluster's, not counted). */
  async size(): Promise<DatabaseSize> {
    const { rows } = await this.#client.query<{ bytes: string | null }>(
      `select sum(pg_total_relation_size(c.oid)) as bytes from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = $1 and c.relkind in ('r', 'm')`,
      [this.#schema],
    );
    return { dataMb: Number(rows[0]?.bytes ?? 0) / 1024 / 1024, walMb: NaN };
  }
  async stop(): Promise<void> {
    await this.#client.end();
  }
}
