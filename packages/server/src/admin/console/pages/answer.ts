/**
 * @module admin/console/pages/answer
 * How console pages answer. A page is HTML. A refused form or an unknown id is answered with the
 * documented status (400, 404) and, by content negotiation, the page with the reason for a browser
 * (`Accept: text/html`) or `{code, message}` for any other caller, so scripts and tests see the one
 * error shape of the platform and people see a page they can act on.
 */
import { ApiError, type ApiErrorName } from '@handset/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';

const HTML = 'text/html; charset=utf-8';

export function sendPage(reply: FastifyReply, html: string): FastifyReply {
  return reply.type(HTML).send(html);
}

/** A refusal: the page (`html`, which shows `message`) for browsers, `{code, message}` otherwise. */
export function sendRefusal(request: FastifyRequest, reply: FastifyReply, name: ApiErrorName, message: string, html: string): FastifyReply {
  const { code, status } = ApiError[name];
  reply.code(status);
  if ((request.headers.accept ?? '').includes('text/html')) return reply.type(HTML).send(html);
  return reply.send({ code, message });
}
