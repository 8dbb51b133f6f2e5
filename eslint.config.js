// ESLint is here for one purpose: promises nobody awaits or handles. A floating promise in the
// server is an unhandled rejection that can crash the process or silently lose an error, so the
// only rules on are typescript-eslint's two promise rules, with typed linting (they need the
// types to know what returns a promise). No style rules. See docs/architecture.md ("Linting").
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      // Dependencies and generated output.
      '**/node_modules/',
      '**/dist/', // packages/web/dist: the browser bundles and .d.ts files from its build
      '**/.bundle/', // apps/demo/.bundle: the demo page's esbuild output
      '.tmp/',
      'data/',
      'test-results/',
      'e2e/artifacts/',
      'bench/out/',
      'coverage/',
      // Plain JavaScript (scripts/*.mjs, packages/*/scripts, packages/server/bin, e2e page
      // scripts, this file) is ignored: no tsconfig covers it (no allowJs), so it cannot be
      // type-checked and the typed promise rules cannot run on it.
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  {
    // Every .ts file: packages/*/src, packages/*/test, apps/*/src, apps/*/test, e2e/, bench/.
    // All of them are in the root tsconfig.json's "include", which the project service finds.
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's describe/it/test/suite return a promise that always fulfils, whether the
          // test passes or fails (the runner reports the failure), so registering tests without
          // await loses nothing. Only these names declared by node:test are exempt. (That includes
          // a subtest's `t.test(...)`; one left unawaited is cancelled and fails its parent.)
          allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
    },
  },
);
