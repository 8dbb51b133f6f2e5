#!/usr/bin/env node
// `npm run build`: builds the four published packages into their dist/ folders, in dependency order.
// `node scripts/build.mjs server` builds one (and @handset/protocol first when its build is missing
// or older than its sources, since the others compile against its declarations).
//
// - protocol, server, node: `tsc -p tsconfig.build.json` (ESM JavaScript and .d.ts, rootDir src,
//   outDir dist). Every file under src that is not TypeScript (the admin console's CSS and
//   scripts, …) is copied to the same place under dist, so code that reads
//   `new URL('./static/x.css', import.meta.url)` finds it in the built package too.
// - node: its declarations name wire types of @handset/protocol, which the package does not depend
//   on (zero dependencies). They are written out structurally into dist/wire-types.d.ts
//   (scripts/build/expand-wire-types.mjs), so the published types need nothing else.
// - web: packages/web/scripts/build.mjs (esbuild bundles, declarations).
//
// Development in the repository never needs this: tsx, tsc and esbuild resolve @handset/* to the
// sources through the `paths` of the root tsconfig.json (docs/decisions.md, E1).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const ORDER = ['protocol', 'server', 'node', 'web'];

/** Every file under `dir`, recursively. */
function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

function newest(dir) {
  return existsSync(dir) ? Math.max(0, ...walk(dir).map((f) => statSync(f).mtimeMs)) : 0;
}

function compile(name) {
  const dir = join(root, 'packages', name);
  const dist = join(dir, 'dist');
  // Built beside dist/ and swapped in, so nothing ever reads a half-written dist/.
  const staging = `${dist}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.build.json'), '--outDir', staging], { stdio: 'inherit', cwd: root });
  } catch {
    rmSync(staging, { recursive: true, force: true });
    console.error(`building @handset/${name} failed: tsc reported the errors above`);
    process.exit(1);
  }
  for (const file of walk(join(dir, 'src'))) {
    if (file.endsWith('.ts')) continue;
    const target = join(staging, relative(join(dir, 'src'), file));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
  }
  return staging;
}

/** Replaces `packages/<name>/dist` with the finished `staging` directory. */
function swapIn(name, staging) {
  const dist = join(root, 'packages', name, 'dist');
  const old = `${dist}.old-${process.pid}`;
  if (existsSync(dist)) renameSync(dist, old);
  renameSync(staging, dist);
  rmSync(old, { recursive: true, force: true });
}

const builders = {
  protocol: () => swapIn('protocol', compile('protocol')),
  server: () => swapIn('server', compile('server')),
  node: async () => {
    const staging = compile('node');
    const { expandWireTypes } = await import('./build/expand-wire-types.mjs');
    expandWireTypes(staging);
    swapIn('node', staging);
  },
  web: async () => {
    const { buildAll } = await import('../packages/web/scripts/build.mjs');
    await buildAll({ protocolBuilt: true });
  },
};

/** Builds @handset/protocol when its dist is missing or older than its sources. */
export async function protocolReady() {
  const dir = join(root, 'packages/protocol');
  const built = existsSync(join(dir, 'dist/index.d.ts')) ? statSync(join(dir, 'dist/index.d.ts')).mtimeMs : 0;
  if (built === 0 || built < Math.max(newest(join(dir, 'src')), statSync(join(dir, 'tsconfig.build.json')).mtimeMs)) {
    await build('protocol');
  }
}

const done = new Set();
async function build(name) {
  if (done.has(name)) return;
  if (name !== 'protocol') await protocolReady();
  const started = Date.now();
  await builders[name]();
  done.add(name);
  process.stderr.write(`built @handset/${name} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !ORDER.includes(name));
  if (unknown.length > 0) {
    console.error(`unknown package: ${unknown.join(', ')} (one of ${ORDER.join(', ')})`);
    process.exit(1);
  }
  for (const name of ORDER.filter((n) => asked.length === 0 || asked.includes(n))) await build(name);
}
