#!/usr/bin/env node
// The `handset-operator-sim` command: the local CAMARA operator (see ../README.md).
// A private development tool, never built: it runs its TypeScript sources through tsx, a
// devDependency of the repository root, with the root tsconfig.json.
import { fileURLToPath } from 'node:url';

const { register } = await import('tsx/esm/api');
register({ tsconfig: fileURLToPath(new URL('../../../tsconfig.json', import.meta.url)) });
const { main } = await import(new URL('../src/cli.ts', import.meta.url).href);
await main(process.argv.slice(2));
