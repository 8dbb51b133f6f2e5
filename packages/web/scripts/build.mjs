/**
 * @module build
 * Builds `@handset/web`: `dist/handset-web.mjs` (ESM), `dist/handset-web.min.js` (minified IIFE
 * that sets `window.HandsetWeb`) and `dist/types/` (tsc declarations). `--no-types` skips tsc
 * (the browser tests use that for speed); `--out-dir DIR` writes the bundles elsewhere (tests
 * build into private temporary directories so parallel runs never see a half-written dist/).
 *
 * The SDK imports only `@handset/protocol/browser` (client constants, error tables, limits), which
 * esbuild bundles in; the package index also re-exports TypeBox schemas, which must never reach the
 * browser bundle.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

const common = {
  entryPoints: [join(root, 'src/index.ts')],
  bundle: true,
  platform: 'browser',
  target: 'es2022',
  legalComments: 'none',
  logLevel: 'warning',
};

/** Returns the import graph of dist/types reachable from index.d.ts that still imports @handset/protocol. */
function leakedProtocolImports(typesDir) {
  const seen = new Set();
  const leaks = [];
  const visit = (file) => {
    if (seen.has(file) || !existsSync(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    if (/from '@handset\/protocol(\/browser)?'/.test(text)) leaks.push(file);
    for (const [, spec] of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) visit(resolve(dirname(file), spec.replace(/\.js$/, '.d.ts')));
  };
  visit(join(typesDir, 'index.d.ts'));
  return leaks;
}

/**
 * Builds the bundles into `outDir` (default `dist/`), and the declarations into `outDir/types/`.
 * `protocolBuilt` tells it the caller (scripts/build.mjs) has already built @handset/protocol.
 */
export async function buildAll({ types = true, outDir = dist, protocolBuilt = false } = {}) {
  // Built next to the target, then swapped in: a reader of dist/ (npm start's demo, while the
  // packaging test packs this package) never finds it empty or half written.
  const staging = `${outDir}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    await build({ ...common, format: 'esm', outfile: join(staging, 'handset-web.mjs') });
    await build({ ...common, format: 'iife', globalName: 'HandsetWeb', minify: true, outfile: join(staging, 'handset-web.min.js') });
    if (types) {
      // The declarations compile against @handset/protocol's published declarations (its dist).
      if (!protocolBuilt) {
        const { protocolReady } = await import('../../../scripts/build.mjs');
        await protocolReady();
      }
      const tsc = resolve(root, '../../node_modules/typescript/bin/tsc');
      execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', join(staging, 'types')], { stdio: 'inherit' });
      const leaks = leakedProtocolImports(join(staging, 'types'));
      if (leaks.length) throw new Error(`public declarations import @handset/protocol: ${leaks.join(', ')}`);
    }
    const old = `${outDir}.old-${process.pid}`;
    if (existsSync(outDir)) renameSync(outDir, old);
    renameSync(staging, outDir);
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--out-dir');
  const outDir = at > 0 && process.argv[at + 1] ? resolve(process.argv[at + 1]) : dist;
  await buildAll({ types: !process.argv.includes('--no-types'), outDir });
  console.log(`built ${outDir}`);
}
