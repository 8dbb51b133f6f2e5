/**
 * @module token-cache
 * The access-token cache behind every API call: a token is fetched on demand, reused until
 * 60 seconds before it expires (`server-api.md` §2.4), fetched by at most one request at a time
 * however many calls wait for it, and dropped when the server refuses it.
 *
 * The token lives in a private field, so `console.log(handset)` cannot print it.
 */

/** A freshly fetched token and its lifetime. */
export interface FetchedToken {
  accessToken: string;
  /** Lifetime in seconds as the server sent it; `undefined`, 0 or ≤ 60 means "do not reuse". */
  expiresIn: number | undefined;
}

/** Refresh this long before the server's expiry (`server-api.md` §2.4: 60 s skew). */
export const REFRESH_SKEW_MS = 60_000;

/**
 * Caches one client's access token.
 *
 * @internal
 */
export class TokenCache {
  readonly #fetchToken: () => Promise<FetchedToken>;
  readonly #now: () => number;
  #current: { accessToken: string; refreshAt: number } | undefined;
  #pending: Promise<string> | undefined;

  constructor(fetchToken: () => Promise<FetchedToken>, now: () => number) {
    this.#fetchToken = fetchToken;
    this.#now = now;
  }

  /**
   * A usable token: the cached one while it is fresh, otherwise the result of the one in-flight
   * fetch (started here if none is running). A caller's `signal` stops its own wait without
   * cancelling the fetch that other calls share.
   */
  get(signal?: AbortSignal): Promise<string> {
    const current = this.#current;
    if (current !== undefined && this.#now() < current.refreshAt) return Promise.resolve(current.accessToken);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#pending === undefined) {
      this.#pending = this.#refresh();
      // Every waiter gets the outcome through its own handlers; this one only stops a fetch whose
      // waiters have all been aborted from becoming an unhandled rejection.
      this.#pending.catch(() => undefined);
    }
    return signal === undefined ? this.#pending : raceAbort(this.#pending, signal);
  }

  /** Forgets `accessToken` if it is the cached one (a newer token fetched meanwhile is kept). */
  invalidate(accessToken: string): void {
    if (this.#current?.accessToken === accessToken) this.#current = undefined;
  }

  async #refresh(): Promise<string> {
    const startedAt = this.#now();
    try {
      const token = await this.#fetchToken();
      const lifetimeMs = (token.expiresIn ?? 0) * 1000;
      this.#current =
        lifetimeMs > REFRESH_SKEW_MS
          ? { accessToken: token.accessToken, refreshAt: startedAt + lifetimeMs - REFRESH_SKEW_MS }
          : undefined;
      return token.accessToken;
    } finally {
      this.#pending = undefined;
    }
  }
}

/** Resolves like `promise`, or rejects with the signal's reason as soon as it aborts. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
