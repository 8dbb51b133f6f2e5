/**
 * @module oracle
 * The rules every answer obeys, whatever was sent: never a 5xx; every error (4xx) is
 * `application/json` with exactly `{code, message}`, a numeric code from the protocol's table that
 * goes with the status, and a non-empty message. The one exception is documented in docs/errors.md: the Instant Link page
 * (`GET /v1/il/<token>`), whose 404 and 410 are HTML pages for a phone's browser.
 */
import { ApiError } from '@handset/protocol';
import type { RawResult } from './raw-http.js';

/** Each code's documented HTTP status; 8001 also comes with the status that names the framing fault. */
const STATUSES = new Map<number, number[]>(Object.values(ApiError).map((e) => [e.code, [e.status]]));
STATUSES.get(ApiError.MALFORMED_REQUEST.code)!.push(405, 408, 414, 417, 426, 431);

export interface Sent {
  method: string;
  /** Path and query as sent. */
  target: string;
  head: boolean;
  hangUp: boolean;
}

/** True when the router takes `target` to the Instant Link page: absolute-form host dropped, path cut at `?` or `#`, each segment percent-decoded (`/%761/il/x` is `/v1/il/x`; `/v1/il/%2F` has the token "/"). */
function isInstantLinkPage(target: string): boolean {
  const segments = target
    .replace(/^https?:\/\/[^/]*/i, '')
    .split(/[?#]/)[0]!
    .split('/')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
  return segments.length === 4 && segments[0] === '' && segments[1] === 'v1' && segments[2] === 'il';
}

/** What is wrong with the answer to `sent`, or null when it obeys the rules. */
export function answerProblem(sent: Sent, result: RawResult): string | null {
  const { answer } = result;
  // Node closes the connection of a PRI request (an HTTP/2 preface sent to HTTP/1.1) by design.
  if (!answer) return sent.hangUp || (sent.method === 'PRI' && !result.timedOut) ? null : result.timedOut ? 'no answer (timed out)' : 'closed without an answer';
  const { status, headers, body } = answer;
  if (!(status >= 100 && status < 500)) return `status ${status}`;
  if (status < 400) return null;
  const type = headers['content-type'] ?? '';
  if ((status === 404 || status === 410) && /^text\/html/.test(type) && (sent.method === 'GET' || sent.method === 'HEAD') && isInstantLinkPage(sent.target)) {
    return null;
  }
  if (!/^application\/json(;|$)/.test(type)) return `${status} with content-type '${type}'`;
  if (sent.head) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return `${status} body is not JSON: ${body.toString('latin1').slice(0, 120)}`;
  }
  const keys = parsed && typeof parsed === 'object' ? Object.keys(parsed).sort().join(',') : typeof parsed;
  if (keys !== 'code,message') return `${status} body is not {code, message}: ${body.toString('utf8').slice(0, 160)}`;
  const { code, message } = parsed as { code: unknown; message: unknown };
  if (typeof code !== 'number' || !STATUSES.has(code)) return `${status} has code ${JSON.stringify(code)}`;
  if (!STATUSES.get(code)!.includes(status)) return `code ${code} comes with HTTP ${status}`;
  if (typeof message !== 'string' || message === '') return `${status} has an empty message`;
  return null;
}
