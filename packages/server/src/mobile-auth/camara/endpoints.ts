/**
 * @module endpoints
 * An operator's authorization and token endpoints: explicit in its configuration, or read from
 * its OpenID Connect discovery document (cached for an hour once read; a failed read is not
 * cached, so the next session tries again).
 */
import { callOperator, type FetchLike, type OperatorFailure } from './operator-http.js';
import type { OperatorConfig } from './operator-config.js';

/** The two endpoints the code flow needs. */
export interface OidcEndpoints {
  authorizationEndpoint: string;
  tokenEndpoint: string;
}

const CACHE_MS = 3_600_000;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function acceptableUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK.has(u.hostname));
  } catch {
    return false;
  }
}

const trimSlash = (s: string): string => s.replace(/\/+$/, '');

/** Resolves (and caches) the endpoints of one operator. */
export class EndpointResolver {
  readonly #operator: OperatorConfig;
  readonly #fetch: FetchLike;
  readonly #now: () => number;
  #cached: { endpoints: OidcEndpoints; until: number } | null = null;

  constructor(operator: OperatorConfig, fetchImpl: FetchLike, now: () => number) {
    this.#operator = operator;
    this.#fetch = fetchImpl;
    this.#now = now;
  }

  /** The endpoints, or why they could not be had before `signal` aborted. */
  async resolve(signal: AbortSignal): Promise<{ ok: true; endpoints: OidcEndpoints } | { ok: false; failure: OperatorFailure }> {
    const op = this.#operator;
    if (op.authorizationEndpoint !== null && op.tokenEndpoint !== null) {
      return { ok: true, endpoints: { authorizationEndpoint: op.authorizationEndpoint, tokenEndpoint: op.tokenEndpoint } };
    }
    if (this.#cached && this.#now() < this.#cached.until) return { ok: true, endpoints: this.#cached.endpoints };
    const issuer = trimSlash(op.issuer!);
    const answer = await callOperator(this.#fetch, `${issuer}/.well-known/openid-configuration`, { headers: { accept: 'application/json' } }, signal);
    if (!answer.ok) return answer;
    const doc = answer.json;
    // OpenID Connect Discovery §4.3: the document's issuer must be the one asked for.
    if (typeof doc.issuer !== 'string' || trimSlash(doc.issuer) !== issuer || !acceptableUrl(doc.authorization_endpoint) || !acceptableUrl(doc.token_endpoint)) {
      return { ok: false, failure: { kind: 'malformed', status: answer.status } };
    }
    const endpoints = { authorizationEndpoint: doc.authorization_endpoint, tokenEndpoint: doc.token_endpoint };
    this.#cached = { endpoints, until: this.#now() + CACHE_MS };
    return { ok: true, endpoints };
  }
}
