/**
 * @module transport
 * One HTTP attempt: `fetch` with a time limit that also covers reading the body, the caller's
 * abort signal, and the mapping of the answer to a parsed JSON value or a typed error.
 * Retries and tokens live in `client.ts`; this module never sees them twice.
 */
import {
  errorForStatus,
  InvalidResponseError,
  NetworkError,
  TimeoutError,
  type AnyHandsetError,
  type HandsetOperation,
} from './errors.js';
import type { FetchLike } from './options.js';
import { parseRetryAfter } from './retry.js';
import { USER_AGENT } from './version.js';

/** One POST to send. */
export interface Attempt {
  operation: HandsetOperation;
  url: string;
  /** Extra headers (`Authorization`, `Content-Type`). */
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  fetch: FetchLike;
}

/** A complete HTTP answer: the response (body already read) and its text. */
export interface Reply {
  response: Response;
  text: string;
}

/** How much of a non-JSON error body an error keeps. */
const BODY_EXCERPT_CHARS = 1024;

/** Longest delay `setTimeout` honours; anything above it would fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Sends one attempt and reads the whole body. Rejects with {@link TimeoutError} when `timeoutMs`
 * passes first, with {@link NetworkError} when the connection fails, and with the signal's own
 * reason when the caller aborts.
 *
 * @internal
 */
export async function send(attempt: Attempt): Promise<Reply> {
  const controller = new AbortController();
  let timedOut = false;
  const timer =
    attempt.timeoutMs > MAX_TIMER_MS
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, attempt.timeoutMs);
  const onCallerAbort = (): void => controller.abort(attempt.signal?.reason);
  attempt.signal?.addEventListener('abort', onCallerAbort, { once: true });
  try {
    attempt.signal?.throwIfAborted();
    const response = await attempt.fetch(attempt.url, {
      method: 'POST',
      headers: { Accept: 'application/json', 'User-Agent': USER_AGENT, ...attempt.headers },
      body: attempt.body,
      redirect: 'manual',
      signal: controller.signal,
    });
    const text = await response.text();
    return { response, text };
  } catch (err) {
    if (attempt.signal?.aborted) throw attempt.signal.reason;
    if (timedOut) {
      throw new TimeoutError({
        operation: attempt.operation,
        message: `${attempt.operation}: no response within ${attempt.timeoutMs} ms`,
        cause: err,
      });
    }
    throw new NetworkError({
      operation: attempt.operation,
      message: `${attempt.operation}: network error (${describeCause(err)})`,
      cause: err,
    });
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    attempt.signal?.removeEventListener('abort', onCallerAbort);
  }
}

/** A short, secret-free description of a fetch failure: undici puts the socket error in `cause`. */
function describeCause(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  if (cause instanceof Error) {
    const code = (cause as Error & { code?: unknown }).code;
    return typeof code === 'string' ? code : cause.message;
  }
  return 'unknown error';
}

/** Whether a `Content-Type` names JSON (`application/json`, `…+json`, with or without parameters). */
function isJSONType(contentType: string | null): boolean {
  if (contentType === null) return false;
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || type.endsWith('+json');
}

/**
 * Turns a reply into the parsed JSON of a 200, or throws the typed error for anything else.
 * `sensitive` replies (the token endpoint's) never copy their body into an error.
 *
 * @internal
 */
export function parseReply(
  reply: Reply,
  context: { operation: HandsetOperation; now: number; sensitive?: boolean },
): unknown {
  const { response, text } = reply;
  const { operation } = context;
  const json = isJSONType(response.headers.get('content-type'));
  if (response.status !== 200) throw errorFromReply(reply, context);
  if (!json) {
    throw new InvalidResponseError({
      operation,
      status: 200,
      message: `${operation}: expected a JSON response, got ${response.headers.get('content-type') ?? 'no content type'}`,
      body: context.sensitive ? undefined : text.slice(0, BODY_EXCERPT_CHARS),
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidResponseError({
      operation,
      status: 200,
      message: `${operation}: the response body is not valid JSON`,
      body: context.sensitive ? undefined : text.slice(0, BODY_EXCERPT_CHARS),
    });
  }
}

/** The typed error of a non-200 reply, from its `{code, message}` body when it has one. */
function errorFromReply(reply: Reply, context: { operation: HandsetOperation; now: number }): AnyHandsetError {
  const { response, text } = reply;
  let body: unknown = text === '' ? undefined : text.slice(0, BODY_EXCERPT_CHARS);
  let code: number | undefined;
  let message: string | undefined;
  if (isJSONType(response.headers.get('content-type'))) {
    try {
      body = JSON.parse(text) as unknown;
      if (typeof body === 'object' && body !== null) {
        const fields = body as { code?: unknown; message?: unknown };
        if (typeof fields.code === 'number' && Number.isInteger(fields.code)) code = fields.code;
        if (typeof fields.message === 'string' && fields.message !== '') message = fields.message;
      }
    } catch {
      // keep the text excerpt as the body
    }
  }
  const fallback = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  return errorForStatus(response.status, {
    operation: context.operation,
    code,
    message: message ?? `${context.operation}: ${fallback}`,
    body,
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), context.now),
  });
}
