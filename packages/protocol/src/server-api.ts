/**
 * @module server-api
 * Schemas of the server API (`POST /token`, `/v3/unify`, `/v3/unify-status`, `/v3/unify-bind`,
 * `/v3/device/revoke`), written once as JSON Schema (TypeBox). The server validates and serialises
 * with them, `/openapi.json` is generated from them, and the server SDK takes its types from them.
 * Facts: `shared/protocol/server-api.md` §2–§7.
 */
import Type, { type Static } from 'typebox';
import { FIELD_LIMITS } from './limits.js';

/** Characters allowed by `server-api.md` §12, as JSON Schema patterns. */
export const FIELD_PATTERNS = {
  phoneNumber: '^[A-Za-z0-9+]+$',
  emailAddress: '^[A-Za-z0-9@.+]+$',
  ipAddress: '^[A-Za-z0-9.:]+$',
  finalTargetUrl: '^[A-Za-z0-9\\-._+=/:?]+$',
} as const;

const id = (description: string) => Type.String({ maxLength: FIELD_LIMITS.identifier, description });
const phone = (description: string) =>
  Type.String({ minLength: 1, maxLength: FIELD_LIMITS.phoneNumber, pattern: FIELD_PATTERNS.phoneNumber, description });

/** `{code, message}`: the body of every error response. */
export const ErrorBodySchema = Type.Object(
  {
    code: Type.Integer({ description: 'Stable numeric error code (see docs/errors.md).' }),
    message: Type.String({ description: 'Human-readable explanation; never contains secrets or full phone numbers.' }),
  },
  { $id: 'ErrorBody' },
);

/** `POST /token` form body (OAuth 2.0 client credentials). */
export const TokenRequestSchema = Type.Object({
  grant_type: Type.String({ description: 'Must be `client_credentials`.' }),
  client_id: Type.String({ maxLength: 128 }),
  client_secret: Type.String({ maxLength: 256 }),
});
export type TokenRequest = Static<typeof TokenRequestSchema>;

/** `POST /token` reply. */
export const TokenResponseSchema = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'Lifetime in seconds (3600).' }),
});
export type TokenResponse = Static<typeof TokenResponseSchema>;

/** The four values of a Unify `success` field. Always a JSON string. */
export const UnifyOutcomeSchema = Type.Union([
  Type.Literal('pending'),
  Type.Literal('true'),
  Type.Literal('false'),
  Type.Literal('possession_required'),
]);
export type UnifyOutcome = Static<typeof UnifyOutcomeSchema>;

/** One Global Fraud Policy category result. `failureReasons` is omitted when empty. */
export const EvaluationEntrySchema = Type.Object({
  result: Type.Union([Type.Literal('pass'), Type.Literal('fail')]),
  failureReasons: Type.Optional(Type.Record(Type.String(), Type.String())),
});
export type EvaluationEntry = Static<typeof EvaluationEntrySchema>;

/** `evaluation`: category name → {@link EvaluationEntrySchema}. Every entry is an object. */
export const EvaluationSchema = Type.Record(Type.String(), EvaluationEntrySchema);
export type Evaluation = Static<typeof EvaluationSchema>;

/** `possessionType` values. */
export const PossessionTypeSchema = Type.Union([Type.Literal('mobile'), Type.Literal('desktop'), Type.Literal('none')]);
export type PossessionType = Static<typeof PossessionTypeSchema>;

/** `POST /v3/unify` request (`server-api.md` §3.1). Unknown fields are accepted and ignored. */
export const UnifyRequestSchema = Type.Object({
  possessionType: PossessionTypeSchema,
  clientRequestId: Type.String({ maxLength: FIELD_LIMITS.identifier }),
  phoneNumber: Type.Optional(phone('US/Canada numbers may omit +1; others need + and the country code.')),
  finalTargetUrl: Type.Optional(
    Type.String({ minLength: 1, maxLength: FIELD_LIMITS.finalTargetUrl, pattern: FIELD_PATTERNS.finalTargetUrl }),
  ),
  smsMessage: Type.Optional(Type.String({ minLength: 1, maxLength: FIELD_LIMITS.smsMessage })),
  allowOTPRetry: Type.Optional(Type.Boolean()),
  rebind: Type.Optional(Type.Boolean()),
  deviceId: Type.Optional(id('A Prove Key id returned earlier.')),
  proveId: Type.Optional(id('A customer id returned earlier.')),
  clientCustomerId: Type.Optional(id('Client-made customer id.')),
  clientHumanId: Type.Optional(id('Client-made id for one person.')),
  emailAddress: Type.Optional(
    Type.String({ minLength: 1, maxLength: FIELD_LIMITS.emailAddress, pattern: FIELD_PATTERNS.emailAddress }),
  ),
  ipAddress: Type.Optional(
    Type.String({ minLength: 1, maxLength: FIELD_LIMITS.ipAddress, pattern: FIELD_PATTERNS.ipAddress }),
  ),
  checkReputation: Type.Optional(Type.Boolean()),
  mobileAuthEnabled: Type.Optional(Type.Boolean()),
});
export type UnifyRequest = Static<typeof UnifyRequestSchema>;

/** `POST /v3/unify` reply. */
export const UnifyResponseSchema = Type.Object({
  success: UnifyOutcomeSchema,
  correlationId: Type.String(),
  authToken: Type.Optional(Type.String()),
});
export type UnifyResponse = Static<typeof UnifyResponseSchema>;

/** `POST /v3/unify-status` request. A legacy `phoneNumber` is accepted and ignored. */
export const UnifyStatusRequestSchema = Type.Object({
  correlationId: Type.String({ minLength: 1, maxLength: 64 }),
  clientRequestId: Type.Optional(Type.String({ maxLength: FIELD_LIMITS.identifier })),
});
export type UnifyStatusRequest = Static<typeof UnifyStatusRequestSchema>;

/** Reply of `unify-status` and `unify-bind`. Absent fields are omitted, never `null`. */
export const UnifyResultSchema = Type.Object({
  success: UnifyOutcomeSchema,
  phoneNumber: Type.Optional(Type.String()),
  proveId: Type.Optional(Type.String()),
  deviceId: Type.Optional(Type.String()),
  clientHumanId: Type.Optional(Type.String()),
  clientRequestId: Type.Optional(Type.String()),
  evaluation: Type.Optional(EvaluationSchema),
});
export type UnifyResult = Static<typeof UnifyResultSchema>;

/** `POST /v3/unify-bind` request. */
export const UnifyBindRequestSchema = Type.Object({
  correlationId: Type.String({ minLength: 1, maxLength: 64 }),
  phoneNumber: phone('The number the customer just proved possession of.'),
  clientRequestId: Type.Optional(Type.String({ maxLength: FIELD_LIMITS.identifier })),
});
export type UnifyBindRequest = Static<typeof UnifyBindRequestSchema>;

/** `POST /v3/device/revoke` request. */
export const DeviceRevokeRequestSchema = Type.Object({
  clientRequestId: Type.String({ maxLength: FIELD_LIMITS.identifier }),
  deviceId: Type.String({ minLength: 1, maxLength: 64 }),
});
export type DeviceRevokeRequest = Static<typeof DeviceRevokeRequestSchema>;

/** `POST /v3/device/revoke` reply. `success` is a boolean here, unlike Unify. */
export const DeviceRevokeResponseSchema = Type.Object({ success: Type.Boolean() });
export type DeviceRevokeResponse = Static<typeof DeviceRevokeResponseSchema>;
