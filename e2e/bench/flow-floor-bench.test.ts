/**
 * @module e2e/bench/flow-floor-bench.test
 * `npm run bench:floor` works: it counts the statements of real mobile flows on SQLite (and on
 * PostgreSQL when reachable; never skipped under CI), measures every unit cost and prints the
 * floor table. No timing is asserted (this shared machine is far too noisy): only that every
 * figure is there and is a positive number, and that the counts are those of a real flow.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run bench:floor', () => {
  it('prints the statements per flow, every unit cost and the floor', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/flow-floor.bench.ts', '--flows', '3', '--rounds', '1'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 170_000,
    });
    assert.equal(run.status, 0, run.stderr);
    const out = run.stdout;
    const sqlite = /SQLite: (\d+(?:\.\d+)?) \(of which (\d+(?:\.\d+)?) commits\)/.exec(out);
    assert.ok(sqlite, out);
    // A six-request flow: a session insert, four steps (each a transaction) and the status read at the least.
    assert.ok(Number(sqlite[1]) >= 10 && Number(sqlite[2]) >= 4, out);
    const postgres = /PostgreSQL: (\d+(?:\.\d+)?)\n/.exec(out);
    if (process.env.CI) assert.ok(postgres, `PostgreSQL is required under CI:\n${out}`);
    if (!postgres) console.log('# PostgreSQL unreachable: its statement count and round trip are not measured');
    const units = [...out.matchAll(/^\| ([^|]+) \| (\d+(?:\.\d+)?|–) \|$/gm)].map((m) => [m[1]!.trim(), m[2]!]);
    assert.equal(units.length, 7, out);
    for (const [name, value] of units) {
      if (value === '–') assert.match(name, /PostgreSQL/, `only the PostgreSQL unit may be missing: ${name}`);
      else assert.ok(Number(value) > 0, `${name}: ${value}`);
    }
    assert.match(out, /^\| SQLite \| [\d.]+ µs \| [\d.]+ µs \| [\d.]+ µs \| [\d.]+ \| 0\.66 \|$/m);
  });
});
