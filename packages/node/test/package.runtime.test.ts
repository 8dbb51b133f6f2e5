/**
 * @module package.runtime.test
 * The package's promise of zero runtime dependencies: bundling `src/index.ts` pulls in no file
 * outside `packages/node/src` (in particular not `@handset/protocol`, whose schemas need typebox),
 * and the manifest declares no `dependencies`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('@handset/node at run time', () => {
  it('bundles from its own src only', async () => {
    const result = await build({
      entryPoints: [`${root}src/index.ts`],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'neutral',
      format: 'esm',
      logLevel: 'silent',
      absWorkingDir: root,
    });
    const inputs = Object.keys(result.metafile.inputs);
    assert.ok(inputs.length > 5, 'the bundle has inputs');
    assert.deepEqual(
      inputs.filter((path) => !path.startsWith('src/')),
      [],
      'every bundled file is under packages/node/src',
    );
    const outputs = Object.values(result.metafile.outputs);
    assert.equal(outputs.length, 1);
    assert.deepEqual(outputs[0]?.imports, [], 'the bundle imports nothing, not even node: modules');
  });

  it('declares no runtime dependencies', () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as Record<string, unknown>;
    assert.equal(pkg.dependencies, undefined);
    assert.equal(pkg.peerDependencies, undefined);
  });
});
