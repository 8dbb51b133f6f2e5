/**
 * @module build
 * Builds `@handset/web`: `dist/handset-web.mjs` (ESM), `dist/handset-web.min.js` (minified IIFE
 * that sets `window.HandsetWeb`) and `dist/types/` (tsc declarations). `--no-types` skips tsc
 * (the browser tests use that for speed).
 *
 * `@handset/protocol` is bundled from its dependency-free modules only (client, errors, limits):
 * its index also re-exports TypeBox schemas, which must never reach the browser bundle.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const protocolSrc = resolve(root, '../protocol/src');
const dist = join(root, 'dist');

/** esbuild plugin: `@handset/protocol` → a virtual module re-exporting the browser-safe files. */
const browserProtocol = {
  name: 'handset-protocol-browser',
  setup(b) {
    b.onResolve({ filter: /^@handset\/protocol$/ }, () => ({ path: 'protocol', namespace: 'handset-protocol' }));
    b.onLoad({ filter: /.*/, namespace: 'handset-protocol' }, () => ({
      contents: ['client', 'errors', 'limits'].map((name) => `export * from ${JSON.stringify(join(protocolSrc, `${name}.ts`))};`).join('\n'),
      loader: 'ts',
      resolveDir: protocolSrc,
    }));
  },
};

const common = {
  entryPoints: [join(root, 'src/index.ts')],
  bundle: true,
  platform: 'browser',
  target: 'es2022',
  legalComments: 'none',
  plugins: [browserProtocol],
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
    if (/from '@handset\/protocol'/.test(text)) leaks.push(file);
    for (const [, spec] of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) visit(resolve(dirname(file), spec.replace(/\.js$/, '.d.ts')));
  };
  visit(join(typesDir, 'index.d.ts'));
  return leaks;
}

export async function buildAll({ types = true } = {}) {
  rmSync(dist, { recursive: true, force: true });
  await build({ ...common, format: 'esm', outfile: join(dist, 'handset-web.mjs') });
  await build({ ...common, format: 'iife', globalName: 'HandsetWeb', minify: true, outfile: join(dist, 'handset-web.min.js') });
  if (types) {
    execFileSync(process.execPath, [resolve(root, '../../node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
    const leaks = leakedProtocolImports(join(dist, 'types'));
    if (leaks.length) throw new Error(`public declarations import @handset/protocol: ${leaks.join(', ')}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildAll({ types: !process.argv.includes('--no-types') });
  console.log(`built ${dist}`);
}
