/**
 * @module admin/console/pages
 * Every page of the signed-in console, registered in the guarded scope.
 */
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../../deps.js';
import { viewerOf } from '../console-auth.js';
import { consolePage } from '../layout.js';
import { conversionSection, daysBetween, deliverySection } from './overview.js';

const HTML = 'text/html; charset=utf-8';

export function consolePages(scope: FastifyInstance, deps: Deps): void {
  scope.get('/admin', { schema: { hide: true } }, async (request, reply) => {
    const today = new Date(deps.clock.now()).toISOString().slice(0, 10);
    const from = new Date(deps.clock.now() - 13 * 86_400_000).toISOString().slice(0, 10);
    const days = daysBetween(from, today);
    const body =
      `<h2>Conversion, ${from} to ${today} (UTC)</h2>${conversionSection([], days)}` +
      `<h2>Message delivery, ${from} to ${today} (UTC)</h2>${deliverySection([])}`;
    return reply.type(HTML).send(
      consolePage({ title: 'Overview', section: 'overview', viewer: viewerOf(request), body, styles: ['uPlot.min.css'], scripts: ['uPlot.iife.min.js', 'charts.js'] }),
    );
  });
}
