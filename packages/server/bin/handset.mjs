#!/usr/bin/env node
// The `handset` command.
//
// In the published package (no src/ folder: package.json "files" ships dist/ and bin/ only) it runs
// the built JavaScript in ../dist, with no TypeScript loader; a package without its dist/ is
// broken, and says so instead of looking for one.
//
// In the repository (src/ is there) it runs the TypeScript sources through tsx, a devDependency
// of the repository root, with the root tsconfig.json, whose `paths` resolve @handset/* to their
// sources: no build step during development, and never a stale dist/ (docs/decisions.md, E1).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../src/cli/main.ts', import.meta.url);
const built = new URL('../dist/cli/main.js', import.meta.url);

let entry = built;
if (existsSync(fileURLToPath(source))) {
  const { register } = await import('tsx/esm/api');
  register({ tsconfig: fileURLToPath(new URL('../../../tsconfig.json', import.meta.url)) });
  entry = source;
} else if (!existsSync(fileURLToPath(built))) {
  console.error(`handset: ${fileURLToPath(built)} is missing; this installation of @handset/server is incomplete (reinstall it)`);
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv);
