/**
 * PostgreSQL's side of the mobile flow, statement by statement: `pg_stat_statements` over N flows
 * (issue 13: where PostgreSQL's CPU per flow goes). The six requests of `npm run bench:flows`'s
 * `mobile-otp` flow run through `inject()` against a scratch schema, 10 in flight, after a warm-up;
 * then each statement's calls per flow and its planning and execution time per flow are printed,
 * the costliest first.
 *
 *   node --import tsx bench/pg-statements.bench.ts [--flows 400] [--database URL]
 *
 * It needs the pg_stat_statements extension loaded by the server, which takes a restart:
 *   psql -c "alter system set shared_preload_libraries = 'pg_stat_statements'"  # then restart PostgreSQL
 *   psql -c "create extension pg_stat_statements" -c "alter system set pg_stat_statements.track_planning = on" -c "select pg_reload_conf()"
 * (undo with `alter system reset shared_preload_libraries` and a restart). The statistics are
 * reset at the start, for the whole server: run it on a database nothing else uses meanwhile.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import pg from 'pg';
import { createScratchSchema } from '../packages/server/src/store/scratch-schema.js';
import { load, makeKey, mobileFlow } from './flows/inject-flow.js';

const { values: options } = parseArgs({
  options: {
    flows: { type: 'string', default: '400' },
    database: { type: 'string', default: process.env.HANDSET_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const flows = Number(options.flows);
if (!Number.isInteger(flows) || flows < 1) throw new Error(`--flows must be a whole number of flows, got ${options.flows}`);
const IN_FLIGHT = 10;

const admin = new pg.Client({ connectionString: options.database });
await admin.connect();
const ready = await admin.query(`select 1 from pg_extension where extname = 'pg_stat_statements'`).catch(() => ({ rowCount: 0 }));
if (!ready.rowCount) {
  console.error('pg_stat_statements is not installed in this database: see the comment at the top of bench/pg-statements.bench.ts');
  await admin.end();
  process.exit(1);
}

interface Row {
  calls: string;
  plan_ms: number;
  exec_ms: number;
  query: string;
}

const scratch = await createScratchSchema(options.database, 'hs_pgstat');
const tree = await load(resolve(import.meta.dirname, '..'), 0, scratch.url);
try {
  for (let i = 0; i < 50; i++) await mobileFlow(tree, makeKey());
  const keys = Array.from({ length: flows }, makeKey);
  await admin.query('select pg_stat_statements_reset()');
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < flows) await mobileFlow(tree, keys[next++]!);
  }));
  const seconds = (performance.now() - started) / 1000;
  const { rows } = await admin.query<Row>(
    `select calls, total_plan_time as plan_ms, total_exec_time as exec_ms, regexp_replace(query, '\\s+', ' ', 'g') as query
     from pg_stat_statements
     where dbid = (select oid from pg_database where datname = current_database()) and query not like '%pg_stat_statements%'
     order by total_plan_time + total_exec_time desc`,
  );
  const perFlow = (ms: number): number => (ms * 1000) / flows;
  const total = rows.reduce((s, r) => ({ plan: s.plan + perFlow(r.plan_ms), exec: s.exec + perFlow(r.exec_ms), calls: s.calls + Number(r.calls) / flows }), { plan: 0, exec: 0, calls: 0 });
  console.log(`${flows} mobile flows in ${seconds.toFixed(1)} s, ${IN_FLIGHT} in flight (the outbox read by the load generator included)`);
  console.log(`per flow: ${total.calls.toFixed(1)} statements; planning ${total.plan.toFixed(0)} µs, execution ${total.exec.toFixed(0)} µs\n`);
  console.log('| calls/flow | plan µs/flow | exec µs/flow | statement |');
  console.log('| ---: | ---: | ---: | --- |');
  for (const r of rows.slice(0, 25)) {
    console.log(`| ${(Number(r.calls) / flows).toFixed(2)} | ${perFlow(r.plan_ms).toFixed(0)} | ${perFlow(r.exec_ms).toFixed(0)} | \`${r.query.slice(0, 110)}\` |`);
  }
} finally {
  await tree.stop();
  await scratch.drop();
  await admin.end();
}
