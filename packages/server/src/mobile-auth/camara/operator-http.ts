/**
 * @module operator-http
 * One call to an operator, bounded by a deadline, turned into a typed answer. Nothing that
 * reaches a result (and so a log) is taken from the request: no URL query, no credentials, no
 * token, no code. From an error answer only its status and a short error code are kept.
 */

/** Why a call to the operator did not give a usable answer. */
export type OperatorFailure =
  | { kind: 'timeout' }
  | { kind: 'network' }
  | { kind: 'http'; status: number; code: string | null }
  | { kind: 'malformed'; status: number };

/** A JSON answer with a 2xx status, or the failure. */
export type OperatorAnswer = { ok: true; status: number; json: Record<string, unknown> } | { ok: false; failure: OperatorFailure };

/** `fetch` as the clients use it (tests may pass their own). */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** A CAMARA `code` or an OAuth2 `error`, when it looks like one (never free text from the operator). */
function errorCode(json: unknown): string | null {
  if (json === null || typeof json !== 'object') return null;
  const j = json as Record<string, unknown>;
  const code = typeof j.code === 'string' ? j.code : typeof j.error === 'string' ? j.error : null;
  return code !== null && /^[A-Za-z0-9_.]{1,80}$/.test(code) ? code : null;
}

function isTimeout(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}

/**
 * Calls `url` and reads a JSON object answer, all before `signal` aborts. Redirects are not
 * followed (an operator API never redirects; a redirect would carry the bearer token elsewhere).
 */
export async function callOperator(fetchImpl: FetchLike, url: string, init: RequestInit, signal: AbortSignal): Promise<OperatorAnswer> {
  let response: Response;
  try {
    response = await fetchImpl(url, { ...init, signal, redirect: 'manual' });
  } catch (error) {
    return { ok: false, failure: isTimeout(error) || signal.aborted ? { kind: 'timeout' } : { kind: 'network' } };
  }
  let json: unknown;
  try {
    json = JSON.parse(await response.text());
  } catch (error) {
    if (isTimeout(error) || signal.aborted) return { ok: false, failure: { kind: 'timeout' } };
    json = undefined;
  }
  if (response.status < 200 || response.status > 299) {
    return { ok: false, failure: { kind: 'http', status: response.status, code: errorCode(json) } };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return { ok: false, failure: { kind: 'malformed', status: response.status } };
  return { ok: true, status: response.status, json: json as Record<string, unknown> };
}

/** A failure as one line for logs and results: `timeout`, `HTTP 503 UNAVAILABLE`… */
export function describeFailure(failure: OperatorFailure): string {
  switch (failure.kind) {
    case 'timeout':
      return 'timeout';
    case 'network':
      return 'network error';
    case 'malformed':
      return `malformed answer (HTTP ${failure.status})`;
    case 'http':
      return `HTTP ${failure.status}${failure.code ? ` ${failure.code}` : ''}`;
  }
}

/** Why a failed call failed, as both clients report it: `operator_unavailable` may pass if tried later. */
export type OperatorFailureReason = 'timeout' | 'malformed_answer' | 'operator_unavailable' | 'operator_error';

export function failureReason(failure: OperatorFailure): OperatorFailureReason {
  if (failure.kind === 'timeout') return 'timeout';
  if (failure.kind === 'malformed') return 'malformed_answer';
  if (failure.kind === 'network' || failure.status >= 500 || failure.status === 429) return 'operator_unavailable';
  return 'operator_error';
}

/** `Authorization: Basic` for client_secret_basic: id and secret form-urlencoded first (RFC 6749 §2.3.1). */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const form = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${form(clientId)}:${form(clientSecret)}`).toString('base64')}`;
}
