/**
 * What a whole mobile flow cannot cost less than on this machine, with Handset's guarantees (one
 * transaction per step, the timeline and the fraud policy's counters written in it, a NOTIFY per
 * state change, the protocol's signatures): issue 13's "the profile that shows where the
 * remaining time is and why it cannot go lower", as figures measured in one run.
 *
 * 1. Counts the statements of one six-request mobile flow (`bench:flows`' `mobile-otp`, through
 *    `inject()`, bench/flows/inject-flow.ts) at the driver: better-sqlite3's statement calls, and
 *    pg's `Client.query` calls (PostgreSQL when reachable). The outbox read of the load generator
 *    is left out.
 * 2. Measures, in this process, the CPU of the unit costs the flow is made of: an SQLite
 *    statement by key and an SQLite commit (WAL, `synchronous = NORMAL`, as Handset opens it), a
 *    PostgreSQL round trip (a prepared `select` by key, the Handset side: pg's encoding, the
 *    socket write and read; 10 connections busy at once, as Handset's pool under load), an ES256 signature and an ECDSA P-256 verification, and a bare
 *    Fastify JSON route served over loopback sockets, 50 requests in flight (the server's process alone, read from
 *    /proc, as `bench:flows` reads Handset's); and one
 *    bare system call, the unit the others are made of (this machine is a Firecracker micro-VM
 *    whose kernel runs with page-table isolation: every system call and context switch is dear).
 * 3. Prints the floor: statements × their unit cost + the flow's crypto + six bare requests,
 *    next to issue 13's target (0.66 ms per flow on SQLite).
 *
 *   node --import tsx bench/flow-floor.bench.ts [--flows 40] [--database postgres://…]
 *
 * No figure here is a target: they say what this machine charges for what a flow must do. Medians
 * of `--rounds` (5) interleaved rounds.
 */
import { createSign, createVerify, generateKeyPairSync } from 'node:crypto';
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { load, makeKey, mobileFlow } from './flows/inject-flow.js';
import { median } from './support/stats.js';

const { values: options } = parseArgs({
  options: {
    flows: { type: 'string', default: '40' },
    rounds: { type: 'string', default: '5' },
    database: { type: 'string' },
  },
});
const FLOWS = Number(options.flows);
const ROUNDS = Number(options.rounds);
const root = resolve(import.meta.dirname, '..');

/** Runs `work` `n` times in all, `lanes` at a time (each lane awaits its calls one after another). */
async function inLanes(n: number, lanes: number, work: (i: number, lane: number) => unknown): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      while (next < n) await work(next++, lane);
    }),
  );
}

/** CPU µs of this process per call of `work`, run `n` times, `lanes` at a time. */
async function cpuPerCall(n: number, work: (i: number, lane: number) => unknown, lanes = 1): Promise<number> {
  const before = process.cpuUsage();
  await inLanes(n, lanes, work);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

/** In flight at once for the socket units, as in `bench:flows` (50 flows; a pool of 10 connections). */
const HTTP_IN_FLIGHT = 50;
const PG_CONNECTIONS = 10;

// --- 1. statements per flow, counted at the drivers --------------------------------------------
let counting = false;
let sqliteStatements = 0;
let sqliteCommits = 0;
let pgQueries = 0;
const statementProto = Object.getPrototypeOf(new SQLite(':memory:').prepare('select 1')) as Record<string, (...a: unknown[]) => unknown>;
for (const method of ['run', 'all', 'get', 'iterate']) {
  const original = statementProto[method]!;
  statementProto[method] = function (this: { source: string }, ...args: unknown[]) {
    if (counting) {
      sqliteStatements++;
      if (/^\s*commit/i.test(this.source)) sqliteCommits++;
    }
    return original.apply(this, args);
  };
}
const pgQuery = pg.Client.prototype.query as (...a: unknown[]) => unknown;
(pg.Client.prototype as { query: unknown }).query = function (this: unknown, ...args: unknown[]) {
  if (counting) pgQueries++;
  return pgQuery.apply(this, args);
};

async function statementsPerFlow(database?: string): Promise<number> {
  const tree = await load(root, 0, database);
  try {
    const keys = Array.from({ length: FLOWS + 5 }, makeKey);
    for (let i = 0; i < 5; i++) await mobileFlow(tree, keys[i]!); // warm-up: client, caches
    sqliteStatements = sqliteCommits = pgQueries = 0;
    counting = true;
    // The load generator's outbox read (one statement per flow) runs inside mobileFlow: taken off below.
    for (let i = 5; i < FLOWS + 5; i++) await mobileFlow(tree, keys[i]!);
    counting = false;
    return database ? pgQueries / FLOWS - 1 : sqliteStatements / FLOWS - 1;
  } finally {
    counting = false;
    await tree.stop();
  }
}

async function postgresReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

// `||`: the test runner's SQLite pass sets HANDSET_TEST_DATABASE_URL to '' ("no PostgreSQL for test servers"), not unset.
const pgUrl = options.database || process.env.HANDSET_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const withPostgres = await postgresReachable(pgUrl);
let pgSchema: string | null = null;
if (withPostgres) {
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  pgSchema = `floor_${process.pid}`;
  await admin.query(`create schema ${pgSchema}`);
  await admin.end();
}
const schemaUrl = (): string => {
  const u = new URL(pgUrl);
  u.searchParams.set('options', `-c search_path=${pgSchema}`);
  return u.toString();
};

const sqliteCount = await statementsPerFlow();
const sqliteCommitCount = sqliteCommits / FLOWS;
const pgCount = withPostgres ? await statementsPerFlow(schemaUrl()) : NaN;

// --- 2. unit costs ------------------------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), 'handset-floor-'));
const sqlite = new SQLite(join(dir, 'floor.db'));
sqlite.pragma('journal_mode = WAL');
sqlite.pragma('synchronous = NORMAL');
sqlite.pragma('wal_autocheckpoint = 10000');
sqlite.exec('create table t (id text primary key, n integer not null, body text)');
const insertRow = sqlite.prepare('insert into t (id, n, body) values (?, 0, ?)');
sqlite.transaction(() => {
  for (let i = 0; i < 20_000; i++) insertRow.run(`row-${i}`, 'x'.repeat(200));
})();
const selectRow = sqlite.prepare('select * from t where id = ?');
const updateRow = sqlite.prepare('update t set n = n + 1 where id = ?');
const begin = sqlite.prepare('begin');
const commit = sqlite.prepare('commit');

const pgClients: pg.Client[] = [];
if (withPostgres) {
  for (let i = 0; i < PG_CONNECTIONS; i++) {
    const client = new pg.Client({ connectionString: schemaUrl() });
    await client.connect();
    pgClients.push(client);
  }
  await pgClients[0]!.query('create table t (id text primary key, n integer not null)');
  await pgClients[0]!.query("insert into t select 'row-' || g, 0 from generate_series(0, 19999) g");
}

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const message = Buffer.from('a'.repeat(600));
const signature = createSign('sha256').update(message).sign(privateKey);

// The bare route's server runs in a child process: its CPU (from /proc) is the server's share alone.
const bareServer = spawn(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    "import Fastify from 'fastify'; const app = Fastify({ logger: false }); app.get('/bare', async () => ({ ok: true })); " +
      "console.log(await app.listen({ port: 0, host: '127.0.0.1' }));",
  ],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
);
const address = await new Promise<string>((done, fail) => {
  bareServer.stdout!.once('data', (chunk: Buffer) => done(chunk.toString().trim()));
  bareServer.once('exit', (code) => fail(new Error(`the bare route's server exited (${code})`)));
});
/** CPU µs (user + system) the bare server has used so far; clock ticks are 1/100 s on Linux. */
const bareServerCpuUs = (): number => {
  const fields = readFileSync(`/proc/${bareServer.pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
};
const agent = new Agent({ keepAlive: true, maxSockets: HTTP_IN_FLIGHT });
const getBare = (): Promise<void> =>
  new Promise((done, fail) => {
    get(`${address}/bare`, { agent }, (res) => {
      res.resume();
      res.on('end', () => done());
    }).on('error', fail);
  });
/** The bare server's CPU µs per request over `n` requests, 50 in flight (10,000: the clock ticks are 10 ms). */
async function bareServerCpuPerRequest(n: number): Promise<number> {
  const before = bareServerCpuUs();
  await inLanes(n, HTTP_IN_FLIGHT, getBare);
  return (bareServerCpuUs() - before) / n;
}

const devNull = openSync('/dev/null', 'r');
const units: Record<string, number[]> = {
  'one system call (fstat), the unit every write, read and poll is made of': [],
  'SQLite statement by key (select of one row)': [],
  'SQLite commit (begin, one row updated, commit) minus the update alone': [],
  'PostgreSQL round trip (prepared select by key), Handset side': [],
  'ES256 signature (P-256)': [],
  'ECDSA P-256 verification': [],
  'bare Fastify JSON route over loopback, the server process': [],
};
const N = 2000;
for (let round = 0; round < ROUNDS; round++) {
  units['one system call (fstat), the unit every write, read and poll is made of']!.push(await cpuPerCall(N * 5, () => fstatSync(devNull)));
  units['SQLite statement by key (select of one row)']!.push(await cpuPerCall(N, (i) => selectRow.get(`row-${(i * 7919) % 20_000}`)));
  const inOneTransaction = await cpuPerCall(N, (i) => {
    if (i === 0) begin.run();
    updateRow.run(`row-${(i * 7919) % 20_000}`);
    if (i === N - 1) commit.run();
  });
  const committedEach = await cpuPerCall(N, (i) => {
    begin.run();
    updateRow.run(`row-${(i * 7919) % 20_000}`);
    commit.run();
  });
  units['SQLite commit (begin, one row updated, commit) minus the update alone']!.push(committedEach - inOneTransaction);
  if (pgClients.length > 0) {
    units['PostgreSQL round trip (prepared select by key), Handset side']!.push(
      await cpuPerCall(
        N,
        (i, lane) => pgClients[lane]!.query({ name: 'floor-select', text: 'select * from t where id = $1', values: [`row-${(i * 7919) % 20_000}`] }),
        PG_CONNECTIONS,
      ),
    );
  }
  units['ES256 signature (P-256)']!.push(await cpuPerCall(N / 2, () => createSign('sha256').update(message).sign(privateKey)));
  units['ECDSA P-256 verification']!.push(await cpuPerCall(N / 2, () => createVerify('sha256').update(message).verify(publicKey, signature)));
  units['bare Fastify JSON route over loopback, the server process']!.push(await bareServerCpuPerRequest(10_000));
}
const unit = Object.fromEntries(Object.entries(units).map(([name, values]) => [name, median(values)]));

// --- 3. the floor -------------------------------------------------------------------------------
const fmt = (us: number): string => (Number.isNaN(us) ? '–' : us.toFixed(1));
console.log(`Statements per mobile flow (driver calls, the load generator's outbox read left out; ${FLOWS} flows):`);
console.log(`  SQLite: ${sqliteCount.toFixed(1)} (of which ${sqliteCommitCount.toFixed(1)} commits)`);
console.log(`  PostgreSQL: ${withPostgres ? pgCount.toFixed(1) : 'unreachable: not measured'}`);
console.log(`\nUnit costs, CPU µs of this process (median of ${ROUNDS} rounds):`);
console.log('| what | µs |\n| --- | ---: |');
for (const [name, value] of Object.entries(unit)) console.log(`| ${name} | ${fmt(value)} |`);

const statement = unit['SQLite statement by key (select of one row)']!;
const commitCost = unit['SQLite commit (begin, one row updated, commit) minus the update alone']!;
const roundTrip = unit['PostgreSQL round trip (prepared select by key), Handset side']!;
// Per flow: one ES256 signature (the authToken), two verifications (the Prove Key's registration
// signature, the authToken's first check; later calls hit the token cache), six HTTP requests.
const crypto = unit['ES256 signature (P-256)']! + 2 * unit['ECDSA P-256 verification']!;
const http6 = 6 * unit['bare Fastify JSON route over loopback, the server process']!;
const sqliteFloor = (sqliteCount - sqliteCommitCount) * statement + sqliteCommitCount * commitCost + crypto + http6;
const pgFloor = pgCount * roundTrip + crypto + http6;
console.log('\nThe floor of one mobile flow (server CPU) with today\'s statements, from the units above:');
console.log('| mode | statements | crypto | 6 bare requests | floor, ms | issue 13 target, ms |\n| --- | ---: | ---: | ---: | ---: | ---: |');
console.log(
  `| SQLite | ${fmt((sqliteCount - sqliteCommitCount) * statement + sqliteCommitCount * commitCost)} µs | ${fmt(crypto)} µs | ${fmt(http6)} µs | ${(sqliteFloor / 1000).toFixed(2)} | 0.66 |`,
);
if (withPostgres) console.log(`| PostgreSQL | ${fmt(pgCount * roundTrip)} µs | ${fmt(crypto)} µs | ${fmt(http6)} µs | ${(pgFloor / 1000).toFixed(2)} | 1.67 (600 flows/s on one core) |`);
console.log('\nEverything else a flow costs (JSON, validation, the state machine, Kysely, logging, GC) comes on top of this floor.');

bareServer.kill();
agent.destroy();
sqlite.close();
closeSync(devNull);
rmSync(dir, { recursive: true, force: true });
for (const client of pgClients) await client.end();
if (pgSchema) {
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`drop schema if exists ${pgSchema} cascade`);
  await admin.end();
}
