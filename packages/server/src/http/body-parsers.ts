/**
 * @module body-parsers
 * JSON bodies are parsed by hand so the exact text is kept (request signatures cover it) and
 * a syntax error gets the protocol's own message. `/token` takes form bodies, each field once.
 */
import type { FastifyInstance } from 'fastify';
import { apiError } from './api-error.js';

export function installBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    request.rawBody = text;
    if (text.trim() === '') return done(apiError('MALFORMED_REQUEST', 'the request body is empty'), undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(apiError('MALFORMED_REQUEST', 'the request body is not valid JSON'), undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (request, body, done) => {
    request.rawBody = body as string;
    const fields = new Map<string, string>();
    for (const [name, value] of new URLSearchParams(body as string)) {
      // As with query parameters: a field given twice is refused, never read as one of the two.
      if (fields.has(name)) return done(apiError('MALFORMED_REQUEST', `field '${name.slice(0, 40)}' is given more than once`), undefined);
      fields.set(name, value);
    }
    done(null, Object.fromEntries(fields));
  });
}
