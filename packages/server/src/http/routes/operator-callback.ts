/**
 * @module operator-callback-route
 * `GET /v1/operator/callback`: where an operator (CAMARA Number Verification) sends the browser's
 * Mobile Auth request back with `code` + `state` (or `error`). The query is never logged (request
 * logs drop it). Answers what the SDK's Mobile Auth `fetch` expects of a carrier: `200 {vfp}`, or a
 * 404 `{code, message}` it takes as a Mobile Auth failure; to an image load (pixel implementation,
 * `Sec-Fetch-Dest: image`) a GIF instead of the vfp (the flow falls back to OTP).
 */
import { ApiError } from '@handset/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import { answerOperatorCallback } from '../../possession/operator-callback.js';
import { callerAddress, limitByAddress } from '../caller-limits.js';

/** A 1×1 transparent GIF: what the pixel implementation of Mobile Auth loads. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

export function operatorCallbackRoute(app: FastifyInstance, deps: Deps): void {
  const perAddress = { onRequest: async (request: FastifyRequest) => limitByAddress(deps, request) };
  app.get('/v1/operator/callback', perAddress, async (request, reply) => {
    const query = new URL(request.url, 'http://callback.invalid').searchParams;
    const answer = await answerOperatorCallback(deps, query, callerAddress(request), request.headers['sec-fetch-dest'] === 'image');
    reply.header('cache-control', 'no-store');
    if (answer.kind === 'vfp') return reply.send({ vfp: answer.vfp });
    if (answer.kind === 'pixel') return reply.type('image/gif').send(PIXEL);
    return reply.code(ApiError.NOT_FOUND.status).send({ code: ApiError.NOT_FOUND.code, message: answer.why });
  });
}
