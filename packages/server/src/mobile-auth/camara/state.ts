/**
 * @module state
 * The OIDC `state` of an operator authorization request, bound to the Handset session: an
 * HMAC-SHA256 over the session id, the operator's name, an expiry and a random nonce, so the
 * callback can tell that Handset issued it, for which session and operator, and until when.
 *
 * Format: `base64url(JSON {v:1, sid, op, exp, n}) "." base64url(HMAC(key, "handset-operator-state." + payload))`.
 * No phone number goes in (the state travels through the browser and the operator). The nonce is
 * also the OIDC `nonce`; making a state one-time (a replayed callback is a no-op) is the caller's
 * part: the session step it finishes can be finished once.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { safeEqual } from '../../lib/hash.js';

/** What an opened state says. */
export interface StateClaims {
  sessionId: string;
  operator: string;
  /** Unix seconds. */
  expiresAt: number;
  nonce: string;
}

/** Why a state was refused. */
export type StateRefusal = 'malformed' | 'tampered' | 'expired' | 'other_session';

/** Outcome of checking a state. */
export type StateCheck = { ok: true; claims: StateClaims } | { ok: false; reason: StateRefusal };

/** Longest state accepted (a session id, a name and a nonce fit in far less). */
const MAX_STATE = 512;
const LABEL = 'handset-operator-state.';

function mac(key: string | Uint8Array, payload: string): string {
  return createHmac('sha256', key).update(LABEL + payload).digest('base64url');
}

/**
 * A new state for `sessionId` at `operator`, valid `ttlSeconds` from `nowMs`.
 *
 * @example
 * const { state, nonce } = createState(key, { sessionId, operator: 'op1', ttlSeconds: 300, nowMs: Date.now() });
 */
export function createState(
  key: string | Uint8Array,
  options: { sessionId: string; operator: string; ttlSeconds: number; nowMs: number },
): { state: string; claims: StateClaims } {
  const claims: StateClaims = {
    sessionId: options.sessionId,
    operator: options.operator,
    expiresAt: Math.floor(options.nowMs / 1000) + options.ttlSeconds,
    nonce: randomBytes(16).toString('base64url'),
  };
  const payload = Buffer.from(JSON.stringify({ v: 1, sid: claims.sessionId, op: claims.operator, exp: claims.expiresAt, n: claims.nonce })).toString('base64url');
  return { state: `${payload}.${mac(key, payload)}`, claims };
}

/**
 * Checks a state's MAC and expiry and returns what it says; with `sessionId`, also that it was
 * issued for that session. The MAC is checked before anything in the payload is believed.
 */
export function checkState(key: string | Uint8Array, state: unknown, options: { nowMs: number; sessionId?: string }): StateCheck {
  if (typeof state !== 'string' || state.length > MAX_STATE) return { ok: false, reason: 'malformed' };
  const parts = state.split('.');
  if (parts.length !== 2 || !/^[A-Za-z0-9_-]+$/.test(parts[0]!) || !/^[A-Za-z0-9_-]{43}$/.test(parts[1]!)) return { ok: false, reason: 'malformed' };
  const [payload, tag] = parts as [string, string];
  if (!safeEqual(mac(key, payload), tag)) return { ok: false, reason: 'tampered' };
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const b = body as Record<string, unknown>;
  if (b === null || typeof b !== 'object' || b.v !== 1 || typeof b.sid !== 'string' || typeof b.op !== 'string' || typeof b.n !== 'string' || !Number.isInteger(b.exp)) {
    return { ok: false, reason: 'malformed' };
  }
  const claims: StateClaims = { sessionId: b.sid, operator: b.op, expiresAt: b.exp as number, nonce: b.n };
  if (Math.floor(options.nowMs / 1000) >= claims.expiresAt) return { ok: false, reason: 'expired' };
  if (options.sessionId !== undefined && !safeEqual(claims.sessionId, options.sessionId)) return { ok: false, reason: 'other_session' };
  return { ok: true, claims };
}
