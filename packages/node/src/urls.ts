/**
 * @module urls
 * Where requests go. API calls keep any path prefix of `serverURL`
 * (`https://host/prefix` + `/v3/unify`), while `/token` is resolved against the host root
 * (`https://host/token`), as Prove's SDKs do and as `server-api.md` §1 ("Path prefix") and
 * decision S2 require.
 */

/** The two base addresses derived from `serverURL`. */
export interface Endpoints {
  /** `serverURL` without a trailing slash; operation paths are appended to it. */
  apiBase: string;
  /** The OAuth token endpoint, always at the host root. */
  tokenURL: string;
}

/**
 * Validates `serverURL` and derives the {@link Endpoints}. Throws `TypeError` for anything but an
 * absolute `http:`/`https:` URL without credentials, query or fragment.
 *
 * @internal
 */
export function resolveEndpoints(serverURL: unknown): Endpoints {
  if (typeof serverURL !== 'string' || serverURL.trim() === '') {
    throw new TypeError('serverURL is required, e.g. "https://handset.example.com"');
  }
  let url: URL;
  try {
    url = new URL(serverURL);
  } catch {
    throw new TypeError('serverURL must be an absolute URL, e.g. "https://handset.example.com"');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('serverURL must use http: or https:');
  if (url.username !== '' || url.password !== '') throw new TypeError('serverURL must not contain credentials');
  if (url.search !== '' || url.hash !== '') throw new TypeError('serverURL must not contain a query or fragment');
  return {
    apiBase: url.href.replace(/\/+$/, ''),
    tokenURL: new URL('/token', url).href,
  };
}
