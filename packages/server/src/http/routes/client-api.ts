/**
 * @module client-api
 * The browser SDK's endpoints (`/v1/client/*`, client-protocol.md §3). Calls inside
 * `authenticate()` carry the session's authToken as a Bearer token; `challenge` and
 * `device/unregister` may come without one and are then authenticated by the device key.
 * Business outcomes are HTTP 200 envelopes (decision C7).
 */
import {
  ChallengeResponseSchema,
  ClientEnvelopeSchema,
  DeviceIdRequestSchema,
  ERROR_REPORT_AREAS,
  ErrorBodySchema,
  ErrorReportRequestSchema,
  InstantLinkStartRequestSchema,
  MobileAuthFinishRequestSchema,
  MobileAuthStartRequestSchema,
  OtpFinishRequestSchema,
  OtpStartRequestSchema,
  RegisterRequestSchema,
  Step,
  VerifyRequestSchema,
  type ClientEnvelope,
  type ErrorReportArea,
  type RegisterRequest,
} from '@handset/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import { checkRequestSignature, issueChallenge } from '../../device-key/request-signature.js';
import { registerDevice, skipDeviceStep, verifyDevice } from '../../possession/device-step.js';
import { startInstantLink } from '../../possession/instant-link-step.js';
import { finishMobileAuth, mobileAuthFailed, startMobileAuth } from '../../possession/mobile-auth-step.js';
import { finishOtp, otpFailed, startOtp } from '../../possession/otp-step.js';
import { unregisterDevice, type SignedRequest } from '../../flows/device-unregister.js';
import type { SessionToken } from '../../flows/session-tx.js';
import { apiError } from '../api-error.js';
import { authenticateAndLimit, callerAddress, limitAnonymousClientCall, limitOptionallyAuthenticated } from '../caller-limits.js';

const replies = { 200: ClientEnvelopeSchema, 400: ErrorBodySchema, 401: ErrorBodySchema };

/** What request signing v3 covers: the path, the query and the exact body bytes. */
function signedRequest(request: FastifyRequest): SignedRequest {
  const [path, query = ''] = request.url.split('?') as [string, string?];
  return { headers: request.headers, path, query, rawBody: request.rawBody ?? '' };
}

/** Signed calls whose headers are present must carry a valid signature. */
async function requireValidSignatureIfPresent(deps: Deps, request: FastifyRequest): Promise<void> {
  const check = await checkRequestSignature(deps, signedRequest(request));
  if (check.kind === 'invalid') throw apiError('UNAUTHORIZED', `request signature refused: ${check.reason}`);
}

export const clientApiRoutes = (deps: Deps): FastifyPluginAsyncTypebox =>
  async (app) => {
    // Every route here runs a session step, which checks the token against the row it locks.
    const authenticated = { onRequest: async (request: FastifyRequest) => authenticateAndLimit(deps, request, undefined, 'step') };

    app.post(
      '/v1/client/device/passive/register',
      { ...authenticated, schema: { body: RegisterRequestSchema, response: replies } },
      async (request) => registerDevice(deps, request.sessionToken, request.body as RegisterRequest),
    );
    app.post(
      '/v1/client/device/passive/verify',
      { ...authenticated, schema: { body: VerifyRequestSchema, response: replies } },
      async (request) => verifyDevice(deps, request.sessionToken, { ...request.body, signals: request.body.signals ?? {} }),
    );
    app.post(
      '/v1/client/mobile/instant/start',
      { ...authenticated, schema: { body: MobileAuthStartRequestSchema, response: replies } },
      async (request) =>
        startMobileAuth(
          deps,
          request.sessionToken,
          { cellularIp: request.body.cellularIp ?? null, implementation: request.body.implementation ?? 'fetch' },
          callerAddress(request),
        ),
    );
    app.post(
      '/v1/client/mobile/instant/finish',
      { ...authenticated, schema: { body: MobileAuthFinishRequestSchema, response: replies } },
      async (request) => finishMobileAuth(deps, request.sessionToken, request.body.vfp),
    );
    app.post(
      '/v1/client/mobile/otp/start',
      { ...authenticated, schema: { body: OtpStartRequestSchema, response: replies } },
      async (request) => startOtp(deps, request.sessionToken, request.body.mobileNumber),
    );
    app.post(
      '/v1/client/mobile/otp/finish',
      { ...authenticated, schema: { body: OtpFinishRequestSchema, response: replies } },
      async (request) => finishOtp(deps, request.sessionToken, request.body.otp),
    );
    app.post(
      '/v1/client/mobile/instantlink/start',
      { ...authenticated, schema: { body: InstantLinkStartRequestSchema, response: replies } },
      async (request) => startInstantLink(deps, request.sessionToken, request.body.mobileNumber),
    );

    // The session step an error report runs, or null where nothing changes and the flow ends
    // quietly on this tab (for the link: it may still be opened). Without a step, the hook checks
    // the token's session itself.
    const onErrorReport: Record<ErrorReportArea, ((caller: SessionToken) => Promise<ClientEnvelope>) | null> = {
      'device/passive': (caller) => skipDeviceStep(deps, caller),
      'device/fido2': (caller) => skipDeviceStep(deps, caller),
      'mobile/instant': (caller) => mobileAuthFailed(deps, caller),
      'mobile/otp': (caller) => otpFailed(deps, caller),
      'mobile/instantlink': null,
      'device/universal': null,
      'user/mobileactive': null,
      'user/ppb': null,
      'user/docv': null,
    };
    for (const area of ERROR_REPORT_AREAS) {
      const step = onErrorReport[area];
      app.post(
        `/v1/client/${area}/error`,
        {
          onRequest: async (request) => authenticateAndLimit(deps, request, undefined, step ? 'step' : 'hook'),
          schema: { body: ErrorReportRequestSchema, response: replies },
        },
        async (request) => {
          await requireValidSignatureIfPresent(deps, request);
          request.log.info({ area, code: request.body.code, authId: request.sessionToken.authId }, 'client error report');
          return step ? step(request.sessionToken) : { next: Step.END };
        },
      );
    }

    app.post(
      '/v1/client/challenge',
      {
        onRequest: async (request) => limitOptionallyAuthenticated(deps, request),
        schema: { body: DeviceIdRequestSchema, response: { 200: ChallengeResponseSchema, 400: ErrorBodySchema, 401: ErrorBodySchema } },
      },
      async (request) => {
        // Without an authToken, new challenge rows are capped per address (handing out a live one is free).
        const admitNewRow = request.headers.authorization ? undefined : async () => deps.limits.take('challengesPerIp', callerAddress(request));
        return issueChallenge(deps, request.body.deviceId, admitNewRow);
      },
    );

    app.post(
      '/v1/client/device/unregister',
      { onRequest: async (request) => limitAnonymousClientCall(deps, request), schema: { body: DeviceIdRequestSchema, response: replies } },
      async (request) => {
        // An unknown or revoked key ends quietly too: the browser may wipe its copy.
        await unregisterDevice(deps, request.body.deviceId, signedRequest(request));
        return { next: Step.END };
      },
    );
  };
