/**
 * @module front-end
 * The demo's browser files. The pages and the stylesheet come from `public/`; the page scripts are
 * TypeScript in `src/web/`, bundled in memory with esbuild when the demo starts (so there is no
 * build step and no stale bundle). `@handset/web` stays outside the bundle: the scripts import it
 * from `/sdk/handset-web.mjs`, which the demo serves from `packages/web/dist`, as an integrator
 * would serve (or self-host) the SDK's published bundle.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const appRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the web SDK's build output is by default. */
export const DEFAULT_SDK_DIR = resolve(appRoot, '../../packages/web/dist');

/** The SDK bundle file the pages import. */
export const SDK_FILE = 'handset-web.mjs';

/** A file the demo serves: its type and bytes. */
export interface Asset {
  contentType: string;
  body: Buffer;
}

const sdkFromServer: Plugin = {
  name: 'handset-web-from-server',
  setup(b) {
    b.onResolve({ filter: /^@handset\/web$/ }, () => ({ path: `/sdk/${SDK_FILE}`, external: true }));
  },
};

/** Bundles `src/web/*.ts` page scripts; keys are URL paths (`/assets/app.js`). */
export async function bundlePageScripts(): Promise<Map<string, Asset>> {
  const result = await build({
    entryPoints: {
      app: join(appRoot, 'src/web/app.ts'),
      'instant-link-done': join(appRoot, 'src/web/instant-link-done.ts'),
    },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    outdir: join(appRoot, '.bundle'),
    plugins: [sdkFromServer],
    legalComments: 'none',
    logLevel: 'silent',
  });
  const assets = new Map<string, Asset>();
  for (const file of result.outputFiles) {
    assets.set(`/assets/${basename(file.path)}`, { contentType: 'text/javascript; charset=utf-8', body: Buffer.from(file.contents) });
  }
  return assets;
}

/** The static pages and the stylesheet, by URL path. */
export function staticPages(): Map<string, Asset> {
  const html = (name: string): Asset => ({ contentType: 'text/html; charset=utf-8', body: readFileSync(join(appRoot, 'public', name)) });
  return new Map([
    ['/', html('index.html')],
    ['/instant-link-done', html('instant-link-done.html')],
    ['/assets/styles.css', { contentType: 'text/css; charset=utf-8', body: readFileSync(join(appRoot, 'public/styles.css')) }],
  ]);
}

/** Reads the SDK bundle (on every request, so a rebuild is picked up), or null when it is not built. */
export function readSdk(sdkDir: string): Asset | null {
  const path = join(sdkDir, SDK_FILE);
  if (!existsSync(path)) return null;
  try {
    return { contentType: 'text/javascript; charset=utf-8', body: readFileSync(path) };
  } catch {
    return null;
  }
}
