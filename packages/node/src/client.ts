/**
 * @module client
 * The call loop shared by every operation: get a token, send, and on failure decide whether to
 * re-authenticate (a 401 drops the token and retries the call once, without waiting) or to retry
 * (429/5xx, and connection errors when asked, after `Retry-After` or a backoff interval, within
 * the retry budget). Retried token fetches and API calls go through the same loop.
 */
import { RateLimitedError, ServerError, HandsetError, NetworkError, TimeoutError, type HandsetOperation } from './errors.js';
import { checkTimeout, type RequestOptions, type ResolvedOptions } from './options.js';
import { checkTokenBody, type HTTPMetadata, type TokenBody } from './responses.js';
import { backoffDelay, resolveRetryPolicy, RETRYABLE_STATUSES, type RetryPolicy } from './retry.js';
import { TokenCache } from './token-cache.js';
import { parseReply, send, type Reply } from './transport.js';

/** A parsed 200 reply and its HTTP metadata. */
export interface CallResult<T> {
  httpMeta: HTTPMetadata;
  value: T;
}

/** Credentials for one token request. */
export interface TokenCredentials {
  clientId: string;
  clientSecret: string;
  grantType: string;
}

/**
 * Sends the operations of one configured client.
 *
 * @internal
 */
export class Client {
  readonly #options: ResolvedOptions;
  readonly #tokens: TokenCache;

  constructor(options: ResolvedOptions) {
    this.#options = options;
    // One attempt per fetch: a failed token fetch fails the API calls waiting for it, and each of
    // those retries it under its own policy, so retries never nest.
    this.#tokens = new TokenCache(async () => {
      const { value } = await this.#tokenAttempt('token', this.#defaultCredentials(), this.#options.timeoutMs, undefined);
      return { accessToken: value.access_token, expiresIn: value.expires_in };
    }, options.now);
  }

  /** `POST {apiBase}{path}` with a Bearer token, checked by `check`. */
  callAPI<T>(
    operation: HandsetOperation,
    path: string,
    body: unknown,
    requestOptions: RequestOptions | undefined,
    check: (value: unknown, operation: HandsetOperation) => T,
  ): Promise<CallResult<T>> {
    const { policy, timeoutMs, signal } = this.#perCall(requestOptions);
    const url = `${this.#options.endpoints.apiBase}${path}`;
    const payload = JSON.stringify(body ?? {});
    let reauthenticated = false;
    return this.#withRetries(policy, signal, async () => {
      for (;;) {
        const accessToken = await this.#tokens.get(signal);
        const reply = await send({
          operation,
          url,
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken}` },
          body: payload,
          timeoutMs,
          signal,
          fetch: this.#options.fetch,
        });
        if (reply.response.status === 401 && !reauthenticated) {
          // The token was refused (expired early, revoked, or the server restarted with new
          // keys): drop it and try once more with a fresh one. A second 401 is an error.
          reauthenticated = true;
          this.#tokens.invalidate(accessToken);
          continue;
        }
        return this.#result(reply, operation, check);
      }
    });
  }

  /** `POST /token` with explicit (or the configured) credentials; never touches the cache. */
  requestToken(credentials: Partial<TokenCredentials>, requestOptions: RequestOptions | undefined): Promise<CallResult<TokenBody>> {
    const { policy, timeoutMs, signal } = this.#perCall(requestOptions);
    const fallback = this.#defaultCredentials();
    const full: TokenCredentials = {
      clientId: credentials.clientId ?? fallback.clientId,
      clientSecret: credentials.clientSecret ?? fallback.clientSecret,
      grantType: credentials.grantType ?? fallback.grantType,
    };
    return this.#withRetries(policy, signal, () =>
      this.#tokenAttempt('v3TokenRequest', full, timeoutMs, signal),
    );
  }

  #defaultCredentials(): TokenCredentials {
    return { clientId: this.#options.clientId, clientSecret: this.#options.clientSecret, grantType: 'client_credentials' };
  }

  #perCall(requestOptions: RequestOptions | undefined): { policy: RetryPolicy; timeoutMs: number; signal: AbortSignal | undefined } {
    return {
      policy:
        requestOptions?.retries === undefined ? this.#options.retry : resolveRetryPolicy(requestOptions.retries, 'retries'),
      timeoutMs:
        requestOptions?.timeoutMs === undefined ? this.#options.timeoutMs : checkTimeout(requestOptions.timeoutMs, 'timeoutMs'),
      signal: requestOptions?.signal,
    };
  }

  async #tokenAttempt(
    operation: HandsetOperation,
    credentials: TokenCredentials,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<CallResult<TokenBody>> {
    const form = new URLSearchParams({
      grant_type: credentials.grantType,
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
    });
    const reply = await send({
      operation,
      url: this.#options.endpoints.tokenURL,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      timeoutMs,
      signal,
      fetch: this.#options.fetch,
    });
    return this.#result(reply, operation, checkTokenBody, true);
  }

  #result<T>(
    reply: Reply,
    operation: HandsetOperation,
    check: (value: unknown, operation: HandsetOperation) => T,
    sensitive = false,
  ): CallResult<T> {
    const json = parseReply(reply, { operation, now: this.#options.now(), sensitive });
    return { httpMeta: { response: reply.response }, value: check(json, operation) };
  }

  /** Runs `attempt` until it succeeds, fails for good, or the retry budget is spent. */
  async #withRetries<T>(
    policy: RetryPolicy,
    signal: AbortSignal | undefined,
    attempt: () => Promise<T>,
  ): Promise<T> {
    const startedAt = this.#options.now();
    for (let retry = 0; ; retry += 1) {
      try {
        return await attempt();
      } catch (err) {
        const wait = this.#retryWait(err, policy, retry, startedAt);
        if (wait === undefined || signal?.aborted) throw err;
        await this.#options.sleep(wait, signal);
      }
    }
  }

  /** How long to wait before retrying after `err`, or `undefined` to give up. */
  #retryWait(err: unknown, policy: RetryPolicy, retry: number, startedAt: number): number | undefined {
    if (!policy.enabled || !(err instanceof HandsetError)) return undefined;
    let wait: number;
    if (err instanceof RateLimitedError || err instanceof ServerError) {
      if (!RETRYABLE_STATUSES.includes(err.status)) return undefined;
      wait = err.retryAfterMs ?? backoffDelay(retry, policy.backoff);
    } else if (err instanceof NetworkError || err instanceof TimeoutError) {
      if (!policy.retryConnectionErrors) return undefined;
      wait = backoffDelay(retry, policy.backoff);
    } else {
      return undefined;
    }
    const elapsed = this.#options.now() - startedAt;
    return elapsed + wait > policy.backoff.maxElapsedTime ? undefined : wait;
  }
}
