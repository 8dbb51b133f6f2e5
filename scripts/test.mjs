#!/usr/bin/env node
// The whole test suite: every *.test.ts under packages/*/test, apps/*/test, tools/*/test and e2e/, passed to
// node's test runner as an explicit list (Node 20 expands no globs and skips .ts in folders).
// Builds what the browser tests load first. Extra arguments narrow the list by substring.
//
// Two passes: everything on SQLite, then the server's database-backed tests (those that start a
// test server, plus the multi-instance tests that need PostgreSQL) again on PostgreSQL, with
// HANDSET_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) giving every test
// server a fresh schema. Each pass runs CONCURRENCY files at once (HANDSET_TEST_CONCURRENCY
// overrides it); the database-outage test runs alone, last.
// An unreachable PostgreSQL skips that pass with the reason, or fails the run under CI.
// `--no-postgres` skips the PostgreSQL pass; `--postgres` runs only it.
// After each pass it prints the slowest files (scripts/test-file-durations.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function collect(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name === 'artifacts') return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return collect(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const roots = [
  ...readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p, 'test')),
  ...(existsSync(join(root, 'apps')) ? readdirSync(join(root, 'apps')).map((p) => join(root, 'apps', p, 'test')) : []),
  ...(existsSync(join(root, 'tools')) ? readdirSync(join(root, 'tools')).map((p) => join(root, 'tools', p, 'test')) : []),
  join(root, 'e2e'),
];
const flags = new Set(process.argv.slice(2).filter((a) => a.startsWith('--')));
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const files = roots
  .flatMap(collect)
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

for (const build of ['packages/web/scripts/build.mjs', 'apps/demo/scripts/build.mjs']) {
  if (!existsSync(join(root, build))) continue;
  const result = spawnSync(process.execPath, [build], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const totals = { pass: 0, fail: 0, skipped: 0 };

// Files at once in a pass. node's default, one fewer than the cores, is 1 on a 2-core machine; most
// files wait on Chromium, sockets and child processes, and each test server has its own in-memory
// SQLite or PostgreSQL schema, so several files share the machine safely.
const CONCURRENCY = Number(process.env.HANDSET_TEST_CONCURRENCY || 3);
if (!Number.isInteger(CONCURRENCY) || CONCURRENCY < 1) {
  console.error(`HANDSET_TEST_CONCURRENCY must be a whole number of files, at least 1: ${process.env.HANDSET_TEST_CONCURRENCY}`);
  process.exit(1);
}
const SLOWEST_SHOWN = 20;
// Node 20's --test-timeout limits each test *file* (the tests inside have only the timeouts they
// set themselves). With several files sharing the cores a file takes longer than alone: the
// slowest (Chromium, packaging, benchmarks) need up to ~3 min alone, so they get 10.
const FILE_TIMEOUT_MS = 600_000;

/** Prints the slowest files of a pass from the durations reporter's lines ("<ms>\t<file>"). */
function printSlowest(durationsFile) {
  if (!existsSync(durationsFile)) return;
  const rows = readFileSync(durationsFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t'))
    .map(([ms, file]) => ({ ms: Number(ms), file: relative(root, file) }))
    .sort((a, b) => b.ms - a.ms);
  rmSync(durationsFile, { force: true });
  console.log('slowest files (start to exit of each):');
  for (const { ms, file } of rows.slice(0, SLOWEST_SHOWN)) console.log(`  ${(ms / 1000).toFixed(1).padStart(6)} s  ${file}`);
}

/** Runs one pass; prints its summary; returns true when it passed. */
function runPass(label, list, env, concurrency = CONCURRENCY) {
  console.log(`\n=== ${label}: ${list.length} test files, ${concurrency} at once`);
  const tapFile = join(root, '.tmp', `test-summary-${process.pid}.tap`);
  const durationsFile = join(root, '.tmp', `test-durations-${process.pid}.txt`);
  mkdirSync(dirname(tapFile), { recursive: true });
  const result = spawnSync(
    process.execPath,
    [
      '--import', 'tsx', '--test', `--test-timeout=${FILE_TIMEOUT_MS}`, `--test-concurrency=${concurrency}`,
      '--test-reporter=spec', '--test-reporter-destination=stdout',
      '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
      '--test-reporter=./scripts/test-file-durations.mjs', `--test-reporter-destination=${durationsFile}`,
      ...list,
    ],
    { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1', ...env } },
  );
  // One plain closing line, counted from the runner's own TAP summary.
  if (existsSync(tapFile)) {
    const tap = readFileSync(tapFile, 'utf8');
    const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
    rmSync(tapFile, { force: true });
    for (const key of Object.keys(totals)) totals[key] += count(key);
    console.log(`\n${label}: ${count('pass')} passed, ${count('fail')} failed, ${count('skipped')} skipped`);
    printSlowest(durationsFile);
  } else {
    totals.fail += 1; // the runner died before writing its summary
  }
  return result.status === 0;
}

/** The PostgreSQL URL as printed: user, host and database only (a password may sit in the parameters too). */
function shownUrl(url) {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username ? `${u.username}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return 'HANDSET_TEST_DATABASE_URL (not a URL)';
  }
}

/** Why PostgreSQL at `url` cannot be used, or null when it answers. */
function postgresProblem(url) {
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      "const pg = require('pg'); const c = new pg.Client({ connectionString: process.argv[1], connectionTimeoutMillis: 5000 });" +
        "c.on('error', () => {}); c.connect().then(() => c.query('select 1')).then(() => c.end(), (e) => { console.error(e.message || e.code); process.exit(1); });",
      url,
    ],
    { cwd: root, encoding: 'utf8', timeout: 15_000 },
  );
  return probe.status === 0 ? null : probe.stderr.trim() || 'no answer';
}

// The multi-instance tests need PostgreSQL: they run in the PostgreSQL pass only. Of the other
// server tests, the PostgreSQL pass repeats those the database choice reaches: the ones that
// start a test server (unit and CLI tests never read HANDSET_TEST_DATABASE_URL).
const MULTI_INSTANCE = 'packages/server/test/multi-instance/';
const usesTestServer = (f) => readFileSync(join(root, f), 'utf8').includes('startTestServer');
const sqliteFiles = flags.has('--postgres') ? [] : files.filter((f) => !f.startsWith(MULTI_INSTANCE));
const postgresFiles = flags.has('--no-postgres')
  ? []
  : files.filter((f) => f.startsWith(MULTI_INSTANCE) || (f.startsWith('packages/server/test/') && usesTestServer(f)));
// The outage test restarts PostgreSQL: it runs in a pass of its own after every other file (the
// runner orders the files of one pass itself), so no file starts while the service may still be
// settling (a file started right after it once found its fresh schema gone).
const isOutageTest = (f) => f.endsWith('/database-outage.test.ts');
let ok = true;
// Load generators and builds that need the cores to themselves: the flows benchmark keeps 50 flows
// in flight (beside other files its calls took seconds and its PostgreSQL connections timed out),
// the sockets benchmark opens 200, and the packaging test runs four TypeScript builds under a 240 s
// limit. They run one at a time after the shared pass.
const ALONE = ['e2e/bench/flows-bench.test.ts', 'e2e/bench/status-sockets-bench.test.ts', 'e2e/packaging/packaging.test.ts'];
const sqliteEnv = { HANDSET_TEST_DATABASE_URL: '' };
const [sqliteShared, sqliteAlone] = [sqliteFiles.filter((f) => !ALONE.includes(f)), sqliteFiles.filter((f) => ALONE.includes(f))];
if (sqliteShared.length > 0) ok = runPass('SQLite pass (in-memory SQLite per test server)', sqliteShared, sqliteEnv) && ok;
if (sqliteAlone.length > 0) ok = runPass('SQLite pass, the files that need the machine to themselves', sqliteAlone, sqliteEnv, 1) && ok;
if (postgresFiles.length > 0) {
  const url = process.env.HANDSET_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
  const shown = shownUrl(url);
  const problem = postgresProblem(url);
  if (problem && process.env.CI) {
    console.error(`\nPostgreSQL pass: ${shown} is unreachable (${problem}); CI requires it (run scripts/ensure-postgres.sh)`);
    ok = false;
  } else if (problem) {
    console.log(`\nPostgreSQL pass skipped: ${shown} is unreachable (${problem}). Start it with scripts/ensure-postgres.sh.`);
  } else {
    const env = { HANDSET_TEST_DATABASE_URL: url };
    if (process.env.CI && process.env.HANDSET_TEST_ALLOW_PG_RESTART === undefined) env.HANDSET_TEST_ALLOW_PG_RESTART = '1';
    const label = `PostgreSQL pass (${shown}, a fresh schema per test server)`;
    const [rest, outage] = [postgresFiles.filter((f) => !isOutageTest(f)), postgresFiles.filter(isOutageTest)];
    // Several files at once, as on SQLite: every test server has a schema of its own, and its
    // migration locks and lists that schema only (packages/server/src/store/schema-scoped-postgres.ts).
    if (rest.length > 0) ok = runPass(label, rest, env) && ok;
    // Alone: it stops PostgreSQL, which no other file may see.
    if (outage.length > 0) ok = runPass(`${label}, the outage test last`, outage, env, 1) && ok;
  }
}
// The closing line over every pass.
console.log(`\nTotal: ${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped`);
process.exit(ok ? 0 : 1);
