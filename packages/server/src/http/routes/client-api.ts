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
    const authenticated = { onRequest: async (request: FastifyRequest) => authenticateAndLimit(deps, request) };

    app.post(
      '/v1/client/device/passive/register',
      { ...authenticated, schema: { body: RegisterRequestSchema, response: replies } },
      async (request) => registerDevice(deps, request.authId, request.body as RegisterRequest),
    );
    app.post(
      '/v1/client/device/passive/verify',
      { ...authenticated, schema: { body: VerifyRequestSchema, response: replies } },
      async (request) => verifyDevice(deps, request.authId, { ...request.body, signals: request.body.signals ?? {} }),
    );
    app.post(
      '/v1/client/mobile/instant/start',
      { ...authenticated, schema: { body: MobileAuthStartRequestSchema, response: replies } },
      async (request) =>
        startMobileAuth(
          deps,
          request.authId,
          { cellularIp: request.body.cellularIp ?? null, implementation: request.body.implementation ?? 'fetch' },
          callerAddress(request),
        ),
    );
    app.post(
      '/v1/client/mobile/instant/finish',
      { ...authenticated, schema: { body: MobileAuthFinishRequestSchema, response: replies } },
      async (request) => finishMobileAuth(deps, request.authId, request.body.vfp),
    );
    app.post(
      '/v1/client/mobile/otp/start',
      { ...authenticated, schema: { body: OtpStartRequestSchema, response: replies } },
      async (request) => startOtp(deps, request.authId, request.body.mobileNumber),
    );
    app.post(
      '/v1/client/mobile/otp/finish',
      { ...authenticated, schema: { body: OtpFinishRequestSchema, response: replies } },
      async (request) => finishOtp(deps, request.authId, request.body.otp),
    );
    app.post(
      '/v1/client/mobile/instantlink/start',
      { ...authenticated, schema: { body: InstantLinkStartRequestSchema, response: replies } },
      async (request) => startInstantLink(deps, request.authId, request.body.mobileNumber),
    );

    const onErrorReport: Record<ErrorReportArea, (authId: string) => Promise<ClientEnvelope>> = {
      'device/passive': (authId) => skipDeviceStep(deps, authId),
      'device/fido2': (authId) => skipDeviceStep(deps, authId),
      'mobile/instant': (authId) => mobileAuthFailed(deps, authId),
      'mobile/otp': (authId) => otpFailed(deps, authId),
      // The link may still be opened: nothing changes; the flow ends quietly on this tab.
      'mobile/instantlink': async () => ({ next: Step.END }),
      'device/universal': async () => ({ next: Step.END }),
      'user/mobileactive': async () => ({ next: Step.END }),
      'user/ppb': async () => ({ next: Step.END }),
      'user/docv': async () => ({ next: Step.END }),
    };
    for (const area of ERROR_REPORT_AREAS) {
      app.post(
        `/v1/client/${area}/error`,
        { ...authenticated, schema: { body: ErrorReportRequestSchema, response: replies } },
        async (request) => {
          await requireValidSignatureIfPresent(deps, request);
          request.log.info({ area, code: request.body.code, authId: request.authId }, 'client error report');
          return onErrorReport[area](request.authId);
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
