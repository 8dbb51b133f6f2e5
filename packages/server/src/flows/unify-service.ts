/**
 * @module unify-service
 * The server API use cases: start a session (`/v3/unify`), read its outcome (`/v3/unify-status`),
 * bind after customer-supplied possession (`/v3/unify-bind`) and revoke a device key.
 * Every lookup is scoped to the calling client: one tenant can never see another's sessions.
 */
import {
  SESSION_TTL_SECONDS,
  Step,
  type AuthTokenClaims,
  type AuthTokenSubs,
  type DeviceRevokeRequest,
  type DeviceRevokeResponse,
  type UnifyBindRequest,
  type UnifyRequest,
  type UnifyResponse,
  type UnifyResult,
  type UnifyStatusRequest,
} from '@handset/protocol';
import type { Deps } from '../deps.js';
import { normalizePhone } from '../lib/phone.js';
import { randomToken } from '../ports/random.js';
import { findClient } from '../store/clients-repo.js';
import { ensureIdentity, findIdentityByProveId, revokeDevice } from '../store/devices-repo.js';
import { webhookEnqueueDeps } from '../webhooks/wiring.js';
import type { SessionRow } from '../store/sessions-repo.js';
import { findStatusForClient, insertSession, type StatusRow } from '../store/sessions-repo.js';
import { insertFirstSessionEvents } from '../store/session-events-repo.js';
import { createdEntry } from './timeline.js';
import { outcomeOf, unifyResult } from './outcome.js';
import { recordSimSwap, simSwapDue } from './sim-swap-signal.js';
import { SANDBOX_USERS } from './sandbox-users.js';
import { decide, effectiveState } from './session-state.js';
import { domainError } from './domain-error.js';
import { endFields, runSessionStep, writeDueExpiry } from './session-tx.js';
import { applyAndSettle } from './settle.js';
import { hasLinkPlaceholder, otpLength } from './sms-templates.js';

const unknownCorrelation = () => domainError('unknown_session', 'correlationId is unknown or its session has been purged');

/** Normalises a request's phone number or fails with 8001 naming the field. */
export function requirePhone(raw: string, field = 'phoneNumber'): string {
  const phone = normalizePhone(raw);
  if (!phone) throw domainError('invalid_request', `field '${field}' is not a possible phone number`);
  return phone;
}

function checkTemplates(request: UnifyRequest): void {
  if (request.smsMessage === undefined) return;
  if (request.possessionType === 'desktop' && !hasLinkPlaceholder(request.smsMessage)) {
    throw domainError('invalid_request', "field 'smsMessage' must contain #### where the link goes");
  }
  if (request.possessionType === 'mobile' && otpLength(request.smsMessage) === null) {
    throw domainError('invalid_request', "field 'smsMessage' must contain one placeholder of 4 to 6 # for the code");
  }
}

function checkFinalTargetUrl(request: UnifyRequest): void {
  if (request.possessionType !== 'desktop') return;
  if (!request.finalTargetUrl) {
    throw domainError('invalid_request', "field 'finalTargetUrl' is missing: it is required when possessionType is desktop");
  }
  let url: URL | null = null;
  try {
    url = new URL(request.finalTargetUrl);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw domainError('invalid_request', "field 'finalTargetUrl' must be an absolute http(s) URL");
  }
}

/**
 * The authenticators offered to the browser, by flow (client-protocol.md §1.3). `mnp` says the
 * platform has the number; without it the SDK asks the person for one (`phoneNumberNeeded`).
 */
function tokenShape(
  type: UnifyRequest['possessionType'],
  hasNumber: boolean,
): { next: AuthTokenClaims['auth']['next']; subs: AuthTokenSubs } {
  if (type === 'desktop') return { next: Step.MOBILE_INSTANTLINK, subs: { mob: { auths: { inln: { mnp: hasNumber } } } } };
  if (type === 'none') return { next: Step.DEVICE_PASSIVE, subs: { dev: { auths: { pasv: {} } } } };
  return {
    next: Step.DEVICE_PASSIVE,
    subs: { dev: { auths: { pasv: {} } }, mob: { auths: { inst: {}, otp: { mnp: hasNumber } } } },
  };
}

/**
 * The number a session starts with: the integrator's `phoneNumber`, else the number of its
 * `proveId` (this client's identities only), else none — the key, the carrier or the person
 * supplies it later (docs/identification-modes.md).
 */
async function startingNumber(deps: Deps, clientId: string, request: UnifyRequest): Promise<{ phone: string; display: string } | null> {
  if (request.phoneNumber !== undefined) return { phone: requirePhone(request.phoneNumber), display: request.phoneNumber };
  if (request.proveId === undefined) return null;
  const identity = await findIdentityByProveId(deps.db.kysely, clientId, request.proveId);
  if (!identity) throw domainError('invalid_request', "field 'proveId' is unknown");
  return { phone: identity.phone_e164, display: identity.phone_e164 };
}

export async function startUnify(deps: Deps, clientId: string, request: UnifyRequest): Promise<UnifyResponse> {
  checkFinalTargetUrl(request);
  checkTemplates(request);
  const number = await startingNumber(deps, clientId, request);
  const phone = number?.phone ?? null;
  const sandboxUser = deps.config.sandbox && phone ? SANDBOX_USERS.get(phone) : undefined;
  if (deps.config.sandbox && phone && !sandboxUser) {
    throw domainError('not_a_sandbox_user', 'sandbox mode accepts only the documented test users');
  }
  const namespace = await clientNamespace(deps, clientId);

  const now = deps.clock.now();
  const { random } = deps;
  const correlationId = random.uuid();
  const authId = random.uuid();
  const tokenId = random.uuid();
  const challenge = randomToken(random, 24);
  const expiresAt = now + SESSION_TTL_SECONDS * 1000;
  const row: SessionRow = {
    correlation_id: correlationId,
    auth_id: authId,
    client_id: clientId,
    token_id: tokenId,
    state: 'created',
    possession_type: request.possessionType,
    phone_e164: phone,
    phone_display: number?.display ?? null,
    prove_id: null,
    challenge,
    final_target_url: request.finalTargetUrl ?? null,
    sms_message: request.smsMessage ?? null,
    allow_otp_retry: request.allowOTPRetry ? 1 : 0,
    rebind: request.rebind ? 1 : 0,
    client_request_id: request.clientRequestId || null,
    client_customer_id: request.clientCustomerId ?? null,
    client_human_id: request.clientHumanId ?? null,
    email_address: request.emailAddress ?? null,
    ip_address: request.ipAddress ?? null,
    device_id: null,
    device_match: null,
    failure_reason: null,
    otp_hash: null,
    otp_sent_at: null,
    otp_attempts: 0,
    otp_resends: 0,
    link_hash: null,
    link_sent_at: null,
    link_resends: 0,
    proof_to: null,
    sim_swap_risk: null,
    policy_reasons: null,
    mobile_auth_vouched: null,
    mobile_auth_token: null,
    mobile_auth_confirmed: 0,
    created_at: now,
    expires_at: expiresAt,
    ended_at: null,
    purge_at: expiresAt + deps.config.outcomeRetentionSeconds * 1000,
  };
  if (sandboxUser?.group === 'short_term' && phone) {
    // Sandbox short-term users pass possession without the browser: the same machine decides.
    const decision = decide(row, { type: 'short_term_user' });
    if (decision.ok) Object.assign(row, decision.changes);
    if (row.state === 'succeeded') {
      Object.assign(row, endFields(deps, now));
      row.prove_id = await ensureIdentity(deps.db.kysely, clientId, phone, () => random.uuid(), now);
    }
  }
  const shape = tokenShape(request.possessionType, phone !== null);
  const claims: AuthTokenClaims = {
    rid: correlationId.slice(0, 8),
    iat: Math.floor(now / 1000),
    exp: Math.floor(expiresAt / 1000),
    jti: tokenId,
    auth: { id: authId, ans: namespace, endp: deps.config.publicUrl, chlg: challenge, next: shape.next, subs: shape.subs },
  };
  const authToken = deps.authTokens.issue(claims, now);
  const timeline = [createdEntry(row, now)];
  if (row.state !== 'created') {
    // A sandbox short-term user: the machine's decision is part of the timeline too.
    timeline.push({ ...createdEntry(row, now), type: 'short_term_user', from_state: 'created', to_state: row.state, destination: null });
  }
  await deps.groupCommit.run(async (trx) => {
    await insertSession(trx, row);
    await insertFirstSessionEvents(trx, timeline);
  });
  deps.metrics.sessionStarted(row.possession_type, row.state);
  return { success: 'pending', correlationId, authToken };
}

/** Client namespaces never change, so each instance reads one once. */
const namespaces = new Map<string, string>();
async function clientNamespace(deps: Deps, clientId: string): Promise<string> {
  let namespace = namespaces.get(clientId);
  if (namespace === undefined) {
    const client = await findClient(deps.db.kysely, clientId);
    if (!client) throw domainError('unauthenticated', 'client not found');
    namespace = client.namespace;
    if (namespaces.size > 10_000) namespaces.clear();
    namespaces.set(clientId, namespace);
  }
  return namespace;
}

function deviceIdOf(session: Pick<StatusRow, 'possession_type' | 'device_id'>): string | null {
  return session.possession_type === 'desktop' ? null : session.device_id;
}

export async function unifyStatus(deps: Deps, clientId: string, request: UnifyStatusRequest): Promise<UnifyResult> {
  const session = await findStatusForClient(deps.db.kysely, request.correlationId, clientId);
  if (!session) throw unknownCorrelation();
  const now = deps.clock.now();
  const state = effectiveState(session, now, deps.config.instantLinkTtlSeconds * 1000);
  if (state !== session.state) {
    // An expiry is due: write it down (and wake any waiting socket) before answering.
    await writeDueExpiry(deps, { column: 'correlation_id', value: session.correlation_id });
    const refreshed = await findStatusForClient(deps.db.kysely, request.correlationId, clientId);
    if (!refreshed) throw unknownCorrelation();
    return unifyResult(refreshed, refreshed.state, { clientRequestId: request.clientRequestId, deviceId: deviceIdOf(refreshed) });
  }
  // The SIM swap signal, once, when configured (flows/sim-swap-signal.ts); a bare check otherwise.
  const read = simSwapDue(deps, { state, sim_swap_risk: session.sim_swap_risk }) ? { ...session, sim_swap_risk: await recordSimSwap(deps, session.correlation_id) } : session;
  return unifyResult(read, state, { clientRequestId: request.clientRequestId, deviceId: deviceIdOf(read) });
}

export async function unifyBind(deps: Deps, clientId: string, request: UnifyBindRequest): Promise<UnifyResult> {
  const phone = requirePhone(request.phoneNumber);
  return runSessionStep(
    deps,
    { column: 'correlation_id', value: request.correlationId },
    async (ctx) => {
      if (ctx.session.client_id !== clientId) throw unknownCorrelation();
      if (ctx.session.phone_e164 === null) ctx.stage({ phone_display: request.phoneNumber });
      const decision = await applyAndSettle(deps, ctx, { type: 'bound', phone });
      if (!decision.ok && decision.refusal === 'other_number') {
        throw domainError('invalid_request', "field 'phoneNumber' does not match the number of this session");
      }
      if (!decision.ok) {
        throw domainError(
          'step_not_allowed',
          `step not allowed: unify-bind needs a session whose status is possession_required (it is ${outcomeOf(ctx.session.state)})`,
        );
      }
      return unifyResult(ctx.session, ctx.session.state, {
        clientRequestId: request.clientRequestId,
        deviceId: deviceIdOf(ctx.session),
      });
    },
    () => {
      throw unknownCorrelation();
    },
  );
}

export async function revokeDeviceKey(deps: Deps, clientId: string, request: DeviceRevokeRequest): Promise<DeviceRevokeResponse> {
  // device.revoked is enqueued with the revocation (store/devices-repo.ts), in one transaction.
  const found = await deps.db.kysely
    .transaction()
    .execute((trx) => revokeDevice(trx, request.deviceId, clientId, deps.clock.now(), webhookEnqueueDeps(deps)));
  if (!found) throw domainError('unknown_device', 'deviceId is unknown');
  return { success: true };
}
