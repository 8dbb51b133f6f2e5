/**
 * @module e2e/bench/flows-bench.test
 * `npm run bench:flows -- --quick` works (issue 13): the whole-flow benchmark runs for about two
 * seconds per mode (SQLite, PostgreSQL one instance, PostgreSQL two instances) against real
 * `handset serve` processes (and the mobile flow against the skeleton server,
 * bench/flows/skeleton-server.ts), completes flows of every kind with no error, and prints every
 * figure (flows/s, server CPU per flow, flow and per-call p50/p99, the bare route's req/s and CPU per
 * request) and writes them as JSON. No timing is asserted: this shared machine is far too noisy.
 *
 * The PostgreSQL modes are skipped, with the reason, when PostgreSQL is unreachable; never under
 * CI (the benchmark itself then fails).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The calls each flow is timed by, in order. */
const CALLS: Record<string, string[]> = {
  'mobile-otp': ['unify', 'register', 'mobile-auth error', 'otp start', 'otp finish', 'unify-status'],
  'customer-bind': ['unify', 'register', 'unify-status', 'unify-bind'],
  'desktop-link': ['unify', 'socket open', 'instantlink start', 'link open', 'socket release', 'unify-status'],
};
const MODES = ['sqlite', 'postgres', 'postgres-2'];
const NUMBER = String.raw`\d+(?:\.\d+)?`;

interface Summary {
  yardstick: { rps: number; cpuUsPerRequest: number };
  modes: Record<string, Record<string, { flows: number; errors: number; flowsPerSecond: number; serverCpuMsPerFlow: number; calls: Record<string, { p50: number; p99: number }> }>>;
  skipped: Record<string, string>;
}

describe('npm run bench:flows -- --quick', () => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-bench-flows-test-'));
  const out = join(dir, 'flows.json');
  let code: number | null = null;
  let stdout = '';
  let stderr = '';
  let summary: Summary = { yardstick: { rps: NaN, cpuUsPerRequest: NaN }, modes: {}, skipped: {} };

  before(async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/flows.bench.ts', '--quick', '--out', out], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    console.log(stdout);
    if (existsSync(out)) summary = JSON.parse(readFileSync(out, 'utf8')) as Summary;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finishes with exit code 0 and writes the JSON', () => {
    assert.equal(code, 0, `the benchmark failed:\n${stdout}\n${stderr}`);
    assert.ok(existsSync(out), 'the JSON file was written');
  });

  it('says where each part runs', () => {
    assert.match(stdout, /Handset processes: pinned to core 0|Handset processes: NOT pinned/);
    assert.match(stdout, /load generator: this process \(pid \d+\), (pinned to core 1|NOT pinned)/);
    assert.match(stdout, /load average at start \d/);
  });

  it("prints the issue's targets against the run and what the load generator could drive", () => {
    assert.match(stdout, /Against the targets of issue 13 \(medians of this run\):/);
    assert.match(stdout, /^\| SQLite, mobile flow: ≥ 1,500 flows\/s \| \d+ flows\/s \| (met|missed) \|$/m);
    assert.match(stdout, new RegExp(`^  sqlite: mobile-otp ${NUMBER} flows/s, `, 'm'));
  });

  it('measures the bare Fastify route as the yardstick: req/s and CPU per request', () => {
    assert.match(stdout, new RegExp(`bare Fastify JSON route \\(autocannon, 50 connections\\): ${NUMBER} req/s, ${NUMBER} µs server CPU per request, 0 errors`));
    assert.ok(summary.yardstick.rps > 0);
    assert.ok(summary.yardstick.cpuUsPerRequest > 0);
  });

  for (const mode of MODES) {
    it(`${mode}: completes every flow with 0 errors and prints every figure`, (t) => {
      const skipped = summary.skipped[mode];
      if (skipped) {
        assert.ok(!process.env.CI, 'CI must not skip PostgreSQL');
        assert.match(stdout, new RegExp(`skipped ${mode}: `));
        t.skip(skipped);
        return;
      }
      if (mode !== 'sqlite') assert.match(stdout, /PostgreSQL: .*not pinned/);
      for (const [flow, calls] of Object.entries(CALLS)) {
        const row = summary.modes[mode]?.[flow];
        assert.ok(row, `${mode} ${flow} measured`);
        assert.ok(row.flows > 0, `${mode} ${flow} completed flows`);
        assert.equal(row.errors, 0);
        assert.ok(row.flowsPerSecond > 0 && row.serverCpuMsPerFlow > 0);
        assert.deepEqual(Object.keys(row.calls), calls, `${mode} ${flow}: every call timed, in order`);
        const pg = mode === 'sqlite' ? '–' : NUMBER;
        assert.match(stdout, new RegExp(`^\\| ${mode} \\| ${flow} \\| \\d+ \\| ${NUMBER} \\| \\d+ % \\| ${pg} \\| ${NUMBER} \\| \\d+ / \\d+ \\| 0 \\|$`, 'm'));
        for (const call of calls) assert.match(stdout, new RegExp(`^\\| ${mode} \\| ${flow} \\| ${call} \\| ${NUMBER} \\| ${NUMBER} \\|$`, 'm'));
      }
    });
  }

  it('skeleton: completes the mobile flow with 0 errors, and the run prints Handset against it', () => {
    const row = summary.modes.skeleton?.['mobile-otp'];
    assert.ok(row, 'skeleton mobile-otp measured');
    assert.ok(row.flows > 0 && row.flowsPerSecond > 0 && row.serverCpuMsPerFlow > 0);
    assert.equal(row.errors, 0);
    assert.deepEqual(Object.keys(row.calls), CALLS['mobile-otp'], 'every call timed, in order');
    // It serves the mobile flow only.
    assert.deepEqual(Object.keys(summary.modes.skeleton ?? {}), ['mobile-otp']);
    assert.match(stdout, new RegExp(`^  skeleton \\(SQLite\\), mobile flow: ${NUMBER} ms server CPU per flow = \\d+ bare requests$`, 'm'));
    assert.match(stdout, new RegExp(`^  Handset / skeleton: ${NUMBER} \\(server CPU per flow\\), ${NUMBER} \\(flows/s\\)$`, 'm'));
  });
});

describe('npm run bench:flows without PostgreSQL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-bench-flows-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** The benchmark's PostgreSQL modes against a port nothing listens on, with or without CI set. */
  function runUnreachable(ci: boolean): Promise<{ code: number | null; output: string }> {
    const env: NodeJS.ProcessEnv = { ...process.env, HANDSET_BENCH_POSTGRES_URL: 'postgres://postgres@127.0.0.1:1/test' };
    delete env.CI;
    if (ci) env.CI = '1';
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/flows.bench.ts', '--quick', '--modes', 'postgres,postgres-2', '--out', join(dir, `flows-${ci ? 'ci' : 'local'}.json`)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
  }

  it('skips the PostgreSQL modes and prints why', async () => {
    const child = await runUnreachable(false);
    assert.equal(child.code, 0, child.output);
    assert.match(child.output, /skipped postgres: PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/test is unreachable/);
    assert.match(child.output, /skipped postgres-2: /);
  });

  it('fails under CI instead of skipping', async () => {
    const child = await runUnreachable(true);
    assert.notEqual(child.code, 0);
    assert.match(child.output, /CI requires it/);
  });
});
