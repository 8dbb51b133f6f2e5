/**
 * @module admin/console/assets
 * The console's static files, served from memory under `/admin/assets/<name>`: its own stylesheet
 * and script (static/) and uPlot's build from node_modules. A fixed list read once at start-up,
 * each under a name carrying a hash of its content, so answers can be cached for a year
 * (`immutable`) and a new release still reaches every browser. A fixed list instead of a static
 * file server: nothing outside it can ever be served, whatever the path says.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { apiError } from '../../http/api-error.js';

const require = createRequire(import.meta.url);

/** The console's assets by logical name; a page links them with {@link assetUrl}. */
const SOURCES = {
  'console.css': { path: new URL('./static/console.css', import.meta.url), type: 'text/css; charset=utf-8' },
  'console.js': { path: new URL('./static/console.js', import.meta.url), type: 'text/javascript; charset=utf-8' },
  'charts.js': { path: new URL('./static/charts.js', import.meta.url), type: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { path: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
  'uPlot.iife.min.js': { path: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
} as const;

export type AssetName = keyof typeof SOURCES;

interface Asset {
  body: Buffer;
  type: string;
  /** `console.3f2a9c1b.css`: the name the asset is served under. */
  servedAs: string;
}

/** Served name → asset, and logical name → URL. */
const ASSETS = new Map<string, Asset>();
const URLS = new Map<string, string>();
for (const [name, source] of Object.entries(SOURCES)) {
  const body = readFileSync(source.path);
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  const dot = name.indexOf('.');
  const servedAs = `${name.slice(0, dot)}.${hash}${name.slice(dot)}`;
  ASSETS.set(servedAs, { body, type: source.type, servedAs });
  URLS.set(name, `/admin/assets/${servedAs}`);
}

/** The URL a page links `name` with (content-hashed). */
export function assetUrl(name: AssetName): string {
  const url = URLS.get(name);
  if (!url) throw new Error(`unknown console asset ${name}`);
  return url;
}

/** Every served asset URL (tests fetch each one). */
export function assetUrls(): string[] {
  return [...URLS.values()];
}

/** `GET /admin/assets/:name`: no session needed (nothing in them is private). */
export function assetRoutes(scope: FastifyInstance): void {
  scope.get<{ Params: { name: string } }>('/admin/assets/:name', { schema: { hide: true } }, async (request, reply) => {
    const asset = ASSETS.get(request.params.name);
    if (!asset) throw apiError('NOT_FOUND', 'no such console asset');
    return reply.header('cache-control', 'public, max-age=31536000, immutable').type(asset.type).send(asset.body);
  });
}
