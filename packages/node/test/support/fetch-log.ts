/**
 * @module fetch-log
 * A pass-through `fetch` for tests that need to count what the SDK sent (how many `/token`
 * calls, which answers were 401). It changes nothing: every request goes to the real server
 * through the global `fetch`, and only the path and status are noted.
 */
import type { FetchLike } from '../../src/index.ts';

export interface LoggedExchange {
  path: string;
  status: number;
}

/** A `fetch` that records `{path, status}` of every exchange into `log`. */
export function loggingFetch(log: LoggedExchange[]): FetchLike {
  return async (input, init) => {
    const response = await fetch(input, init);
    log.push({ path: new URL(input).pathname, status: response.status });
    return response;
  };
}

/** A readable summary of a log, e.g. `['/token 200', '/v3/unify 401']`. */
export function summary(log: LoggedExchange[]): string[] {
  return log.map((e) => `${e.path} ${e.status}`);
}
