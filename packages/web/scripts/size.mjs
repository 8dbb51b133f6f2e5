/**
 * @module size
 * Prints the minified + gzip size of the `<script>` build (dist/handset-web.min.js) and fails
 * above the 15 KB budget. Builds the bundles first unless `--no-build` is given.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildAll } from './build.mjs';

const BUDGET_BYTES = 15 * 1024;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
if (!process.argv.includes('--no-build')) await buildAll({ types: false });
const file = join(root, 'dist/handset-web.min.js');
const minified = readFileSync(file);
const gzipped = gzipSync(minified, { level: 9 }).length;
console.log(`dist/handset-web.min.js: ${minified.length} B minified, ${gzipped} B gzip (${(gzipped / 1024).toFixed(2)} KB of ${BUDGET_BYTES / 1024} KB)`);
if (gzipped > BUDGET_BYTES) {
  console.error('over budget');
  process.exit(1);
}
