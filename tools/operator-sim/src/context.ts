/**
 * @module context
 * What every endpoint handler of the simulator shares: options, clock, grants, the line of a
 * request and the CAMARA scopes.
 */
import type { IncomingMessage } from 'node:http';
import type { Grants } from './grants.js';
import type { SimulatorClient } from './options.js';

/** CAMARA Number Verification v2 scopes (three-legged). */
export const NV_VERIFY_SCOPE = 'number-verification:verify';
export const NV_READ_SCOPE = 'number-verification:device-phone-number:read';
/** CAMARA SIM Swap v2 scopes. */
export const SIM_SWAP_CHECK_SCOPE = 'sim-swap:check';
export const SIM_SWAP_DATE_SCOPE = 'sim-swap:retrieve-date';

/** Scopes the authorization endpoint grants (with `openid`). */
export const AUTHORIZE_SCOPES: ReadonlySet<string> = new Set([NV_VERIFY_SCOPE, NV_READ_SCOPE, SIM_SWAP_CHECK_SCOPE, SIM_SWAP_DATE_SCOPE]);
/** Scopes a client-credentials token may carry. */
export const CLIENT_CREDENTIALS_SCOPES: ReadonlySet<string> = new Set([SIM_SWAP_CHECK_SCOPE, SIM_SWAP_DATE_SCOPE]);

/** Shared state of one simulator. */
export interface SimContext {
  /** `http://127.0.0.1:PORT`: the issuer, and the API root. */
  origin(): string;
  now(): number;
  grants: Grants;
  client(clientId: string): SimulatorClient | undefined;
  /** The number of the line `req` arrives on, or null when the operator does not know it. */
  lineOf(req: IncomingMessage): string | null;
  /** Latest SIM change of a subscriber: an ISO time, null (never), or undefined (not a subscriber). */
  simChange(phone: string): string | null | undefined;
  monitoredPeriodDays: number | undefined;
  tokenTtlSeconds: number;
  codeTtlSeconds: number;
}

/** E.164 as CAMARA's schemas write it. */
export const E164 = /^\+[1-9][0-9]{4,14}$/;
