/**
 * @module client
 * The client protocol between the browser SDK and the platform (`/v1/client/*` and the status
 * WebSocket): paths, step names, headers, the authToken claims and the reply envelope.
 * Plain constants and types with no runtime dependency, so `@handset/web` bundles them as they are.
 * Facts: `shared/protocol/client-protocol.md`.
 */
import type { ErrorBody } from './errors.js';

/** Every client endpoint path, relative to the authToken's `auth.endp`. */
export const ClientPath = {
  DEVICE_PASSIVE_REGISTER: '/v1/client/device/passive/register',
  DEVICE_PASSIVE_VERIFY: '/v1/client/device/passive/verify',
  DEVICE_UNREGISTER: '/v1/client/device/unregister',
  CHALLENGE: '/v1/client/challenge',
  MOBILE_INSTANT_START: '/v1/client/mobile/instant/start',
  MOBILE_INSTANT_FINISH: '/v1/client/mobile/instant/finish',
  MOBILE_OTP_START: '/v1/client/mobile/otp/start',
  MOBILE_OTP_FINISH: '/v1/client/mobile/otp/finish',
  MOBILE_INSTANTLINK_START: '/v1/client/mobile/instantlink/start',
  STATUS_SOCKET: '/v1/client/status',
} as const;

/** Error-report areas: `POST /v1/client/<area>/error` (`client-protocol.md` §2.3). */
export const ERROR_REPORT_AREAS = [
  'device/passive',
  'device/fido2',
  'device/universal',
  'mobile/instant',
  'mobile/instantlink',
  'mobile/otp',
  'user/mobileactive',
  'user/ppb',
  'user/docv',
] as const;
export type ErrorReportArea = (typeof ERROR_REPORT_AREAS)[number];

/** The error-report path of an area. */
export function errorReportPath(area: ErrorReportArea): string {
  return `/v1/client/${area}/error`;
}

/** Paths whose requests carry a v3 request signature when a Prove Key exists (§4.5). */
export const SIGNED_PATHS: readonly string[] = [
  '/v1/client/stepup/unregister',
  '/v1/client/device/unregister',
  '/v1/client/device/passive/error',
  '/v1/client/mobile/instant/error',
  '/v1/client/mobile/otp/error',
  '/v1/client/user/mobileactive',
  '/v1/client/user/mobileactive/error',
];

/** Step names the server sends in `next` (§2.2). `""` ends silently; `"done"` ends with the finish step. */
export const Step = {
  DEVICE_PASSIVE: 'device/passive',
  DEVICE_PASSIVE_SILENT: 'device/passive/silent',
  MOBILE_INSTANT: 'mobile/instant',
  MOBILE_INSTANTLINK: 'mobile/instantlink',
  MOBILE_OTP: 'mobile/otp',
  DONE: 'done',
  END: '',
} as const;
export type StepName = (typeof Step)[keyof typeof Step];

/** Request headers of the client protocol (§3.1, §4.5). */
export const Header = {
  PA_VERSION: 'PA-Version',
  SIG_VERSION: 'PA-Sig-Version',
  CHALLENGE: 'PA-Challenge',
  KID: 'PA-KID',
  SIGNATURE: 'PA-Signature',
} as const;

/** Headers a CORS preflight must allow on every client path. */
export const CORS_ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'PA-Version',
  'PA-Sig-Version',
  'PA-Challenge',
  'PA-KID',
  'PA-Signature',
] as const;

/** The `PA-Version` value of this protocol revision. */
export const PA_VERSION = 'ProveAuth/3.6.2 Contract/2.15.1 WEB/1';

/** The request-signature version (`PA-Sig-Version`). */
export const SIGNATURE_VERSION = '3';

/** Client → server keep-alive text frame on the status socket, and the server's answer. */
export const SOCKET_PING = 'ping';
export const SOCKET_PONG = 'pong';
/** Interval at which the client sends `ping`, in milliseconds. */
export const SOCKET_PING_INTERVAL_MS = 30_000;

/** The `query` the Mobile Auth fetch implementation appends to the redirect URL. */
export const MOBILE_AUTH_SDK_VERSION = '3.2.5';

/** Authenticators offered to the client, inside `auth.subs` of the authToken. */
export interface AuthTokenSubs {
  dev?: { auths: { pasv?: { uvlvl?: 'none' | 'pref' | 'req'; cdt?: boolean } } };
  mob?: {
    auths: {
      inst?: Record<string, never>;
      otp?: { mnp?: boolean };
      inln?: { mnp?: boolean; amnrp?: boolean; tme?: boolean };
    };
  };
}

/** The authToken payload (§1.2). The SDK reads `auth.*`; the server also checks `exp` and `jti`. */
export interface AuthTokenClaims {
  rid?: string;
  iat: number;
  exp: number;
  jti: string;
  auth: {
    /** Auth session id, handed to the integrator's finish step as `{authId}`. */
    id: string;
    /** Namespace: the IndexedDB key of the Prove Key record. */
    ans: string;
    /** The platform's public origin (decision C5). */
    endp: string;
    /** Per-session challenge signed by the Prove Key. */
    chlg: string;
    /** The first step. */
    next: StepName;
    subs: AuthTokenSubs;
  };
}

/** The reply envelope of every `/v1/client/*` call except `challenge` (§3.2). */
export interface ClientEnvelope<D = Record<string, unknown>> {
  next: string;
  data?: D;
  error?: ErrorBody;
}

/** `data` of a register reply. */
export interface RegisterData {
  deviceId: string;
}

/** `data` of a Mobile Auth start reply. */
export interface MobileAuthStartData {
  redirectUrl: string;
}

/** `data` of an OTP or Instant Link validation reply: "ask the user again". */
export interface ValidationData {
  code: number;
  message: string;
}

/** Reply of `POST /v1/client/challenge` (top level, not an envelope). */
export interface ChallengeResponse {
  challenge: string;
  ttl: number;
  deviceId: string;
  error?: ErrorBody;
}

/** The one status message the server pushes on `/v1/client/status`. */
export interface StatusMessage {
  next: string;
  error?: ErrorBody;
}

/** Public key entry of a registration (§3.3). */
export interface PublicKeyDescriptor {
  id: string;
  alg: 'ES256';
  key: string;
  uvLevel: 0;
}

/** Body of `POST /v1/client/device/passive/register`. */
export interface RegisterRequest {
  deviceName: string;
  deviceCapabilities: string[];
  registrations: Array<{ publicKey: PublicKeyDescriptor; signature: string }>;
  signals: Record<string, unknown>;
}

/** Body of `POST /v1/client/device/passive/verify`. */
export interface VerifyRequest {
  deviceId: string;
  keyId: string;
  signature: string;
  signals: Record<string, unknown>;
}

/** Body of `POST /v1/client/mobile/instant/start`. */
export interface MobileAuthStartRequest {
  cellularIp: string | null;
  implementation: 'fetch' | 'pixel';
}

/** Body of `POST /v1/client/mobile/instant/finish`. */
export interface MobileAuthFinishRequest {
  vfp: string;
}

/** Body of `POST /v1/client/mobile/otp/start`: `{}` on resend or when the server has the number. */
export interface OtpStartRequest {
  mobileNumber?: string;
}

/** Body of `POST /v1/client/mobile/otp/finish`. */
export interface OtpFinishRequest {
  otp: string;
}

/** Body of `POST /v1/client/mobile/instantlink/start`; `mobileNumber: ""` asks for a resend. */
export interface InstantLinkStartRequest {
  sourceIp: string | null;
  mobileNumber?: string;
  isMobile: boolean;
}

/** Body of `POST /v1/client/<area>/error`. */
export interface ErrorReportRequest {
  code?: number;
  message: string;
}

/** Body of `POST /v1/client/challenge` and `POST /v1/client/device/unregister`. */
export interface DeviceIdRequest {
  deviceId: string;
}

/**
 * The string a v3 request signature covers (§4.5): method, path, query, content type,
 * challenge and the lowercase hex SHA-256 of the body, joined by `\n`.
 */
export function signingString(parts: { path: string; query?: string; challenge: string; bodySha256Hex: string }): string {
  return ['POST', parts.path, parts.query ?? '', 'application/json', parts.challenge, parts.bodySha256Hex].join('\n');
}
