/**
 * @module browser-pages
 * What a phone's browser opens directly: the Instant Link (`/v1/il/:token`) and the sandbox
 * carrier that answers Mobile Auth redirect URLs (`/v1/sandbox/carrier/:token`).
 */
import { ApiError } from '@handset/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import { openInstantLink } from '../../possession/instant-link-step.js';
import { answerCarrier } from '../../possession/mobile-auth-step.js';
import { limitByAddress } from '../caller-limits.js';
import { htmlPage } from './html.js';

/** A 1×1 transparent GIF: what the pixel implementation of Mobile Auth loads. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

export function browserPageRoutes(app: FastifyInstance, deps: Deps): void {
  const perAddress = { onRequest: async (request: FastifyRequest) => limitByAddress(deps, request) };
  app.get<{ Params: { token: string } }>('/v1/il/:token', perAddress, async (request, reply) => {
    const opening = await openInstantLink(deps, request.params.token);
    if (opening.kind === 'redirect') return reply.redirect(opening.location, 302);
    const expired = opening.kind === 'expired';
    return reply
      .code(expired ? 410 : 404)
      .type('text/html; charset=utf-8')
      .send(
        htmlPage(
          expired ? 'Link expired' : 'Link not valid',
          expired
            ? '<p>This verification link has expired or was already used for a session that ended. Start again on your computer.</p>'
            : '<p>This verification link is not valid.</p>',
        ),
      );
  });

  // The sandbox carrier runs only when asked for (development or sandbox mode): elsewhere its URL
  // is unknown (404), which the browser SDK takes as a Mobile Auth failure and falls back to OTP.
  if (!deps.config.production || deps.config.sandbox) {
    app.get<{ Params: { token: string }; Querystring: { r?: string } }>('/v1/sandbox/carrier/:token', perAddress, async (request, reply) => {
      const answer = await answerCarrier(deps, request.params.token, request.query.r === 'f');
      if (answer.kind === 'vfp') return reply.header('cache-control', 'no-store').send({ vfp: answer.vfp });
      if (answer.kind === 'pixel') return reply.header('cache-control', 'no-store').type('image/gif').send(PIXEL);
      return reply.code(ApiError.NOT_FOUND.status).send({ code: ApiError.NOT_FOUND.code, message: 'the carrier does not recognise this session or number' });
    });
  }
}
