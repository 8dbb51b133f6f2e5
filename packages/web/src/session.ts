/**
 * @module session
 * The state one `authenticate()` call (or one `unregisterDevice()` call) carries between HTTP
 * calls: the Bearer token, the namespace, the pinned endpoint, the cached signing challenge and
 * the resources to release when the flow ends or is cancelled.
 */
import type { AuthTokenClaims } from '@handset/protocol/browser';
import type { AuthenticatorConfig } from './config.js';
import type { KeyValueStorage } from './settings.js';

/** A cached v3 signing challenge (§4.5). */
export interface CachedChallenge {
  value: string;
  deviceId: string;
  /** Unix seconds after which a fresh challenge is fetched (`receivedAt + ttl − 60`). */
  validUntil: number;
}

/** Per-call transport state. */
export interface Session {
  /** The authToken, sent as Bearer; absent for `unregisterDevice()`. */
  token?: string;
  /** `auth.ans`: the IndexedDB key of the Prove Key record. */
  namespace: string;
  /** Base URL without trailing slash; pinned to the record's endpoint once one is seen (§4.6). */
  endpoint: string;
  storage: KeyValueStorage;
  /** Aborts every fetch of the session on cancel. */
  signal?: AbortSignal;
  challenge?: CachedChallenge;
  /** Releases sockets and timers; run when the flow ends or is cancelled. */
  cleanups: Set<() => void>;
}

/** What a step handler receives. */
export interface FlowContext {
  session: Session & { token: string };
  claims: AuthTokenClaims;
  config: AuthenticatorConfig;
}

/** A step: does its work and resolves with the name of the next step. */
export type StepHandler = (ctx: FlowContext) => Promise<unknown>;

/** Strips trailing slashes so `endpoint + path` never doubles them. */
export function baseUrl(endpoint: string): string {
  return endpoint.replace(/\/+$/, '');
}
