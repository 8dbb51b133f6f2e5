/**
 * @module request-checks
 * Installs, app-wide, what keeps every answer `{code, message}` below the routes: repeated query
 * parameters and headers refused, Upgrade requests answered as plain HTTP closed afterwards, and
 * answers for the Node-level events Fastify does not route. (Malformed HTTP and routing failures
 * are Fastify constructor options: `answerClientError`, `answerFrameworkError`.)
 */
import type { FastifyInstance } from 'fastify';
import { answerUnroutedRequests } from './client-errors.js';
import { sendMalformed } from './error-answers.js';
import { requestShapeProblem } from './request-shape.js';
import { closeUpgradeRequestsAfterAnswer } from './upgrade-requests.js';

export function installRequestChecks(app: FastifyInstance): void {
  answerUnroutedRequests(app.server);
  closeUpgradeRequestsAfterAnswer(app);
  // The app's first onRequest hook: before any credential is read (a second Authorization header
  // must be a 400, not whichever of the two Node kept) and before any route or limit runs.
  app.addHook('onRequest', async (request, reply) => {
    const problem = requestShapeProblem(request);
    if (problem) return sendMalformed(reply, 400, problem);
  });
}
