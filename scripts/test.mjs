#!/usr/bin/env node
// The whole test suite: every *.test.ts under packages/*/test, apps/*/test and e2e/, passed to
// node's test runner as an explicit list (Node 20 expands no globs and skips .ts in folders).
// Builds what the browser tests load first. Extra arguments narrow the list by substring.
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
  join(root, 'e2e'),
];
const filters = process.argv.slice(2);
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

console.log(`running ${files.length} test files`);
const tapFile = join(root, '.tmp', `test-summary-${process.pid}.tap`);
mkdirSync(dirname(tapFile), { recursive: true });
const result = spawnSync(
  process.execPath,
  [
    '--import', 'tsx', '--test', '--test-timeout=180000',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
    ...files,
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } },
);
// One plain closing line, counted from the runner's own TAP summary.
if (existsSync(tapFile)) {
  const tap = readFileSync(tapFile, 'utf8');
  const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
  rmSync(tapFile, { force: true });
  console.log(`\n${count('pass')} passed, ${count('fail')} failed, ${count('skipped')} skipped`);
}
process.exit(result.status ?? 1);
