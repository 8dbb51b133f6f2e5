/**
 * @module route-methods
 * Which methods each route pattern answers, recorded as routes are added, so an unknown method
 * on a known path is a 405 with `Allow` rather than a 404 (Fastify itself only knows 404), and
 * tests can list every route the app serves.
 */
import type { FastifyInstance } from 'fastify';

export interface RouteEntry {
  method: string;
  /** The pattern as registered: `/v1/il/:token`, `/v1/client/*`. */
  url: string;
}

interface Compiled extends RouteEntry {
  pattern: RegExp;
  /** `*` routes (CORS preflights) match whole subtrees: they alone never make a path "known". */
  wildcard: boolean;
}

const registries = new WeakMap<FastifyInstance, Compiled[]>();

function compile(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}

/** Starts recording; call before any route is added. */
export function trackRoutes(app: FastifyInstance): void {
  const entries: Compiled[] = [];
  registries.set(app, entries);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      entries.push({ method, url: route.url, pattern: compile(route.url), wildcard: route.url.includes('*') });
    }
  });
}

/** Every route of the app (each method on its own line), in the order they were added. */
export function routesOf(app: FastifyInstance): RouteEntry[] {
  return (registries.get(app) ?? []).map(({ method, url }) => ({ method, url }));
}

/** The methods a path answers to, or [] when no route but a wildcard matches it. */
export function allowedMethods(app: FastifyInstance, path: string): string[] {
  const matching = (registries.get(app) ?? []).filter((entry) => entry.pattern.test(path));
  if (!matching.some((entry) => !entry.wildcard)) return [];
  return [...new Set(matching.map((entry) => entry.method))];
}
