/**
 * @module camara
 * The simulator's CAMARA APIs: Number Verification v2 (`/verify`, `/device-phone-number`) and
 * SIM Swap v2 (`/check`, `/retrieve-date`), bearer-token protected, errors in CAMARA's
 * `{status, code, message}` shape, `x-correlator` echoed.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { E164, NV_READ_SCOPE, NV_VERIFY_SCOPE, SIM_SWAP_CHECK_SCOPE, SIM_SWAP_DATE_SCOPE, type SimContext } from './context.js';
import type { TokenGrant } from './grants.js';
import { bearer, readBody, sendJson } from './http-util.js';

/** Answers with CAMARA's error shape. */
export function camaraError(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string): void {
  const headers: Record<string, string> = correlator(req);
  if (status === 401) headers['www-authenticate'] = 'Bearer';
  sendJson(res, status, { status, code, message }, headers);
}

function correlator(req: IncomingMessage): Record<string, string> {
  const value = req.headers['x-correlator'];
  return typeof value === 'string' && /^[\w.:-]{1,256}$/.test(value) ? { 'x-correlator': value } : {};
}

function ok(req: IncomingMessage, res: ServerResponse, body: unknown): void {
  sendJson(res, 200, body, correlator(req));
}

/** The grant of the request's bearer token with `scope`, or null after answering 401/403. */
function authorized(ctx: SimContext, req: IncomingMessage, res: ServerResponse, scope: string): TokenGrant | null {
  const token = bearer(req);
  if (!token) {
    camaraError(req, res, 401, 'UNAUTHENTICATED', 'Request not authenticated due to missing, invalid, or expired credentials.');
    return null;
  }
  const presented = ctx.grants.presentToken(token);
  if (!presented.ok) {
    camaraError(req, res, 401, 'UNAUTHENTICATED', `The access token is ${presented.reason === 'unknown' ? 'not valid' : presented.reason}.`);
    return null;
  }
  if (!presented.grant.scopes.includes(scope)) {
    camaraError(req, res, 403, 'PERMISSION_DENIED', 'Client does not have sufficient permissions to perform this action.');
    return null;
  }
  return presented.grant;
}

/** The JSON object body, or null after answering 400. */
async function jsonBody(req: IncomingMessage, res: ServerResponse): Promise<Record<string, unknown> | null> {
  if (!/^application\/json/i.test(req.headers['content-type'] ?? '')) {
    camaraError(req, res, 400, 'INVALID_ARGUMENT', 'Client specified an invalid argument, request body or query param.');
    return null;
  }
  try {
    const body: unknown = JSON.parse(await readBody(req));
    if (body !== null && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // answered below
  }
  camaraError(req, res, 400, 'INVALID_ARGUMENT', 'Client specified an invalid argument, request body or query param.');
  return null;
}

/** `POST /number-verification/v2/verify`: exactly one of phoneNumber / hashedPhoneNumber. */
export async function verify(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const grant = authorized(ctx, req, res, NV_VERIFY_SCOPE);
  if (!grant) return;
  const body = await jsonBody(req, res);
  if (!body) return;
  const { phoneNumber, hashedPhoneNumber } = body;
  const plain = typeof phoneNumber === 'string' && E164.test(phoneNumber);
  const hashed = typeof hashedPhoneNumber === 'string' && /^[a-fA-F0-9]{64}$/.test(hashedPhoneNumber);
  if ((phoneNumber === undefined) === (hashedPhoneNumber === undefined) || (phoneNumber !== undefined && !plain) || (hashedPhoneNumber !== undefined && !hashed)) {
    return camaraError(req, res, 400, 'INVALID_ARGUMENT', 'Exactly one of phoneNumber (E.164 with +) or hashedPhoneNumber (SHA-256 hex) is required.');
  }
  if (grant.line === null) {
    return camaraError(req, res, 403, 'NUMBER_VERIFICATION.USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK', 'Client must authenticate via the mobile network to use this service.');
  }
  const verified = plain
    ? phoneNumber === grant.line
    : createHash('sha256').update(grant.line).digest('hex') === (hashedPhoneNumber as string).toLowerCase();
  ok(req, res, { devicePhoneNumberVerified: verified });
}

/** `GET /number-verification/v2/device-phone-number`. */
export function devicePhoneNumber(ctx: SimContext, req: IncomingMessage, res: ServerResponse): void {
  const grant = authorized(ctx, req, res, NV_READ_SCOPE);
  if (!grant) return;
  if (grant.line === null) {
    return camaraError(req, res, 403, 'NUMBER_VERIFICATION.USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK', 'Client must authenticate via the mobile network to use this service.');
  }
  ok(req, res, { devicePhoneNumber: grant.line });
}

/** The subscriber a SIM Swap call is about (body for two-legged tokens, the line for three-legged), or null after answering. */
function subject(grant: TokenGrant, body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse): string | null {
  const { phoneNumber } = body;
  if (phoneNumber !== undefined && (typeof phoneNumber !== 'string' || !E164.test(phoneNumber))) {
    camaraError(req, res, 400, 'INVALID_ARGUMENT', 'phoneNumber must be E.164 with a leading +.');
    return null;
  }
  if (grant.line !== null) {
    if (phoneNumber !== undefined) {
      camaraError(req, res, 422, 'UNNECESSARY_IDENTIFIER', 'The device is already identified by the access token.');
      return null;
    }
    return grant.line;
  }
  if (phoneNumber === undefined) {
    camaraError(req, res, 422, 'MISSING_IDENTIFIER', 'The device cannot be identified.');
    return null;
  }
  return phoneNumber as string;
}

/** The latest SIM change as the operator may tell it: null when unknown or outside the monitored period. */
function latestChange(ctx: SimContext, phone: string): string | null | undefined {
  const change = ctx.simChange(phone);
  if (change === undefined || change === null) return change;
  const days = ctx.monitoredPeriodDays;
  if (days !== undefined && ctx.now() - Date.parse(change) > days * 86_400_000) return null;
  return change;
}

/** `POST /sim-swap/v2/check` `{phoneNumber?, maxAge?}` → `{swapped}`. */
export async function check(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const grant = authorized(ctx, req, res, SIM_SWAP_CHECK_SCOPE);
  if (!grant) return;
  const body = await jsonBody(req, res);
  if (!body) return;
  const phone = subject(grant, body, req, res);
  if (phone === null) return;
  const maxAge = body.maxAge ?? 240;
  if (typeof maxAge !== 'number' || !Number.isInteger(maxAge)) return camaraError(req, res, 400, 'INVALID_ARGUMENT', 'maxAge must be an integer number of hours.');
  if (maxAge < 1 || maxAge > 2400) return camaraError(req, res, 400, 'OUT_OF_RANGE', 'maxAge must be between 1 and 2400 hours.');
  const change = latestChange(ctx, phone);
  if (change === undefined) return camaraError(req, res, 404, 'IDENTIFIER_NOT_FOUND', 'Device identifier not found.');
  const swapped = change !== null && ctx.now() - Date.parse(change) <= maxAge * 3_600_000;
  ok(req, res, { swapped });
}

/** `POST /sim-swap/v2/retrieve-date` `{phoneNumber?}` → `{latestSimChange, monitoredPeriod?}`. */
export async function retrieveDate(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const grant = authorized(ctx, req, res, SIM_SWAP_DATE_SCOPE);
  if (!grant) return;
  const body = await jsonBody(req, res);
  if (!body) return;
  const phone = subject(grant, body, req, res);
  if (phone === null) return;
  const change = latestChange(ctx, phone);
  if (change === undefined) return camaraError(req, res, 404, 'IDENTIFIER_NOT_FOUND', 'Device identifier not found.');
  const days = ctx.monitoredPeriodDays;
  ok(req, res, { latestSimChange: change, ...(days !== undefined ? { monitoredPeriod: days } : {}) });
}
