/**
 * @module client-schemas
 * JSON Schemas of the client protocol request bodies, used by the server to validate
 * `/v1/client/*` calls. Their TypeScript shapes are the interfaces in `client.ts`; a type test
 * below keeps the two in step.
 */
import Type, { type Static } from 'typebox';
import type * as C from './client.js';

const str = (max: number) => Type.String({ maxLength: max });
const signals = Type.Record(Type.String(), Type.Unknown());

export const RegisterRequestSchema = Type.Object({
  deviceName: Type.Optional(str(256)),
  deviceCapabilities: Type.Optional(Type.Array(str(32), { maxItems: 8 })),
  registrations: Type.Array(
    Type.Object({
      publicKey: Type.Object({
        id: Type.String({ minLength: 1, maxLength: 64 }),
        alg: Type.Literal('ES256'),
        key: Type.String({ minLength: 1, maxLength: 1024 }),
        uvLevel: Type.Optional(Type.Integer()),
      }),
      signature: Type.String({ minLength: 1, maxLength: 256 }),
    }),
    { minItems: 1, maxItems: 1 },
  ),
  signals: Type.Optional(signals),
});

export const VerifyRequestSchema = Type.Object({
  deviceId: Type.String({ minLength: 1, maxLength: 64 }),
  keyId: Type.String({ minLength: 1, maxLength: 64 }),
  signature: Type.String({ minLength: 1, maxLength: 256 }),
  signals: Type.Optional(signals),
});

export const MobileAuthStartRequestSchema = Type.Object({
  cellularIp: Type.Optional(Type.Union([Type.String({ maxLength: 45 }), Type.Null()])),
  implementation: Type.Optional(Type.Union([Type.Literal('fetch'), Type.Literal('pixel')])),
});

export const MobileAuthFinishRequestSchema = Type.Object({ vfp: str(512) });

export const OtpStartRequestSchema = Type.Object({ mobileNumber: Type.Optional(Type.Union([str(32), Type.Null()])) });

export const OtpFinishRequestSchema = Type.Object({ otp: str(16) });

export const InstantLinkStartRequestSchema = Type.Object({
  sourceIp: Type.Optional(Type.Union([Type.String({ maxLength: 45 }), Type.Null()])),
  mobileNumber: Type.Optional(Type.Union([str(32), Type.Null()])),
  isMobile: Type.Optional(Type.Boolean()),
});

export const ErrorReportRequestSchema = Type.Object({
  code: Type.Optional(Type.Number()),
  message: Type.Optional(str(2048)),
});

export const DeviceIdRequestSchema = Type.Object({ deviceId: Type.String({ minLength: 1, maxLength: 64 }) });

/** Envelope reply schema, for serialisation and OpenAPI. */
export const ClientEnvelopeSchema = Type.Object({
  next: Type.String(),
  data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  error: Type.Optional(Type.Object({ code: Type.Integer(), message: Type.String() })),
});

export const ChallengeResponseSchema = Type.Object({
  challenge: Type.String(),
  ttl: Type.Integer(),
  deviceId: Type.String(),
});

// Compile-time check that each schema accepts the documented interface.
type Accepts<Schema, Doc extends Schema> = Doc;
export type _SchemaChecks = [
  Accepts<Static<typeof VerifyRequestSchema>, C.VerifyRequest>,
  Accepts<Static<typeof OtpFinishRequestSchema>, C.OtpFinishRequest>,
  Accepts<Static<typeof MobileAuthFinishRequestSchema>, C.MobileAuthFinishRequest>,
  Accepts<Static<typeof DeviceIdRequestSchema>, C.DeviceIdRequest>,
];
