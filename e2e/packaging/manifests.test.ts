/**
 * @module e2e/packaging/manifests.test
 * The release rules of the four published packages, checked on their manifests (fast; the
 * packaging test checks the built tarballs): one version for all four, pinned exactly between
 * them and named in CHANGELOG.md; an MIT licence, a README and a files list each; and the root
 * tsconfig `paths` that let the repository run from sources mirroring every exports entry.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const PUBLISHED = ['protocol', 'server', 'node', 'web'] as const;

interface Manifest {
  name: string;
  version: string;
  license?: string;
  private?: boolean;
  files?: string[];
  exports?: Record<string, string | { types?: string; default?: string }>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const read = <T>(path: string): T => JSON.parse(readFileSync(join(root, path), 'utf8')) as T;
const manifests = PUBLISHED.map((name) => read<Manifest>(`packages/${name}/package.json`));
const version = manifests[0]!.version;

describe('published package manifests', () => {
  it('the four packages share one semver version, named in CHANGELOG.md', () => {
    assert.match(version, /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'a semver version');
    assert.deepEqual(
      manifests.map((m) => `${m.name}@${m.version}`),
      PUBLISHED.map((name) => `@handset/${name}@${version}`),
    );
    assert.match(readFileSync(join(root, 'CHANGELOG.md'), 'utf8'), new RegExp(`^## \\[${version.replaceAll('.', '\\.')}\\]`, 'm'));
  });

  it('every dependency between @handset packages (and the demo) pins that exact version', () => {
    const demo = read<Manifest>('apps/demo/package.json');
    for (const manifest of [...manifests, demo]) {
      for (const [name, range] of Object.entries({ ...manifest.dependencies, ...manifest.devDependencies })) {
        if (name.startsWith('@handset/')) assert.equal(range, version, `${manifest.name} → ${name}`);
      }
    }
  });

  it('each is MIT, has a README and LICENSE, lists its files, and is not private', () => {
    for (const [i, name] of PUBLISHED.entries()) {
      const manifest = manifests[i]!;
      assert.equal(manifest.license, 'MIT', name);
      assert.equal(manifest.private, undefined, name);
      assert.ok(manifest.files?.includes('dist'), `${name} ships dist/`);
      assert.ok(existsSync(join(root, 'packages', name, 'README.md')), `${name} README.md`);
      assert.equal(readFileSync(join(root, 'packages', name, 'LICENSE'), 'utf8'), readFileSync(join(root, 'LICENSE'), 'utf8'), `${name} LICENSE`);
    }
    assert.equal(read<Manifest>('package.json').license, 'MIT');
  });

  it('exports point at built files with types first, and tsconfig paths map each to its source', () => {
    const { compilerOptions } = read<{ compilerOptions: { paths: Record<string, string[]> } }>('tsconfig.json');
    const expected: Record<string, string[]> = {};
    for (const [i, name] of PUBLISHED.entries()) {
      for (const [subpath, target] of Object.entries(manifests[i]!.exports ?? {})) {
        if (typeof target === 'string') {
          assert.match(target, /^\.\/(dist\/|package\.json$)/, `${name} ${subpath}`);
          continue;
        }
        assert.deepEqual(Object.keys(target), ['types', 'default'], `${name} ${subpath}: types first`);
        assert.match(target.types!, /^\.\/dist\/.+\.d\.ts$/);
        assert.match(target.default!, /^\.\/dist\/.+\.m?js$/);
        // The web bundle is built from src/index.ts; the others are compiled file for file.
        const source = name === 'web' ? 'src/index.ts' : target.default!.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts');
        assert.ok(existsSync(join(root, 'packages', name, source)), `${name} ${subpath}: ${source} exists`);
        expected[`@handset/${name}${subpath.slice(1)}`] = [`./packages/${name}/${source}`];
      }
    }
    assert.deepEqual(compilerOptions.paths, expected);
  });
});
