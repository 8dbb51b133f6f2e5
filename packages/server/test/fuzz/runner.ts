/**
 * @module runner
 * Runs a fuzz slice against a live test server: builds the context (real credentials, the app's
 * own route list), sends every request over its own TCP connection a few at a time, and judges
 * each answer with the oracle.
 */
import { routesOf } from '../../src/http/route-methods.js';
import type { TestServer } from '../../src/testing.js';
import { Backend } from '../support/server-api.js';
import { fuzzRequests, type FuzzContext, type FuzzRequest } from './generator.js';
import { answerProblem } from './oracle.js';
import { sendRaw } from './raw-http.js';

export interface FuzzReport {
  requests: number;
  /** Answers by HTTP status; "none" for requests the client hung up on without an answer. */
  statuses: Record<string, number>;
  errors: number;
  /** Errors that are `{code, message}` (the Instant Link page's HTML counted apart). */
  errorShapeOk: number;
  htmlPages: number;
  /** Requests that got no answer, by what was sent: incomplete ones the client hung up on, or PRI. */
  unanswered: Record<string, number>;
  problems: Array<{ request: FuzzRequest; problem: string }>;
  ms: number;
}

export async function fuzzContext(server: TestServer): Promise<FuzzContext> {
  const backend = Backend.of(server);
  const bearer = await backend.token();
  const { authToken } = await backend.unify({ possessionType: 'desktop', phoneNumber: '+12025550100', finalTargetUrl: 'https://example.com/done' });
  return { routes: routesOf(server.server.app), bearer, authToken: authToken!, clientId: server.clientId, clientSecret: server.clientSecret };
}

export async function runFuzz(server: TestServer, options: { seed: number; count: number; concurrency?: number; onProgress?: (done: number) => void }): Promise<FuzzReport> {
  const started = performance.now();
  const requests = fuzzRequests(await fuzzContext(server), options.seed, options.count);
  const report: FuzzReport = { requests: requests.length, statuses: {}, errors: 0, errorShapeOk: 0, htmlPages: 0, unanswered: {}, problems: [], ms: 0 };
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const request = requests[next++]!;
      const result = await sendRaw(server.url, request.bytes, { end: request.hangUp, head: request.head, timeoutMs: 15_000 });
      const status = result.answer ? String(result.answer.status) : 'none';
      report.statuses[status] = (report.statuses[status] ?? 0) + 1;
      if (!result.answer) {
        const why = request.method === 'PRI' ? 'PRI' : request.hangUp ? `hung up: ${request.kind}` : 'other';
        report.unanswered[why] = (report.unanswered[why] ?? 0) + 1;
      }
      const problem = answerProblem(request, result);
      if (problem) report.problems.push({ request, problem });
      if (result.answer && result.answer.status >= 400) {
        report.errors += 1;
        if (/^text\/html/.test(result.answer.headers['content-type'] ?? '')) report.htmlPages += problem ? 0 : 1;
        else if (!problem) report.errorShapeOk += 1;
      }
      if (++done % 1000 === 0) options.onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  report.ms = Math.round(performance.now() - started);
  return report;
}

/** One line per problem, for assertion messages and the script's output. */
export function describeProblems(report: FuzzReport, max = 20): string {
  return report.problems
    .slice(0, max)
    .map(({ request, problem }) => `${problem} ← [${request.kind}] ${JSON.stringify(request.bytes.toString('latin1').slice(0, 200))}`)
    .join('\n');
}
