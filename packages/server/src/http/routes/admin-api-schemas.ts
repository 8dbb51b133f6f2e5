/**
 * @module admin-api-schemas
 * TypeBox schemas of the admin API (`/admin/v1`): what each route accepts (query strings are
 * strings, checked by pattern: the app does not coerce types) and answers. Every object refuses
 * unknown fields and parameters; times go out as ISO 8601 UTC strings; numbers go out masked.
 */
import Type, { type Static } from 'typebox';
import { WEBHOOK_EVENTS } from '../../webhooks/events.js';

/** An id as the platform mints them (UUIDs, `hsc_…`, `hsa_…`): no spaces, no wildcards. */
const Id = (description: string) => Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description });
/** A full phone number, matched exactly (normalised to E.164 first). */
const FullNumber = Type.String({
  minLength: 4,
  maxLength: 20,
  pattern: '^\\+?[0-9]{4,17}$',
  description: 'A full number (E.164, or a US/Canada number without +1), matched exactly: no prefix, no wildcard.',
});
const Time = (description: string) =>
  Type.String({
    maxLength: 35,
    pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,3})?)?(Z|[+-][0-9]{2}:[0-9]{2}))?$',
    description: `${description} ISO 8601 date or date-time (a date alone means 00:00 UTC).`,
  });
const Limit = Type.String({ pattern: '^[0-9]{1,3}$', description: 'Page size, 1 to 200 (default 50).' });
const Cursor = Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$', description: 'The `nextCursor` of the previous page.' });
const IsoTime = Type.String({ description: 'ISO 8601 UTC.' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const strict = { additionalProperties: false } as const;

// ---------------------------------------------------------------------------------------------
// Token

export const AdminTokenRequestSchema = Type.Object(
  {
    adminId: Type.String({ minLength: 1, maxLength: 64, description: 'From `handset admins create`.' }),
    secret: Type.String({ minLength: 1, maxLength: 256, description: 'From `handset admins create` (shown once).' }),
  },
  strict,
);
export const AdminTokenResponseSchema = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'Lifetime in seconds (900).' }),
});

// ---------------------------------------------------------------------------------------------
// Sessions

export const OutcomeSchema = Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('possession_required')]);
const Channel = Type.Union([Type.Literal('mobile'), Type.Literal('desktop'), Type.Literal('none')]);

export const SessionSearchQuerySchema = Type.Object(
  {
    correlationId: Type.Optional(Id('Exact correlationId.')),
    clientRequestId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Exact clientRequestId.' })),
    phoneNumber: Type.Optional(FullNumber),
    maskedNumber: Type.Optional(
      Type.String({
        maxLength: 20,
        pattern: '^([0-9]{4}|\\+[0-9]{1,3}\\*{1,14}[0-9]{4})$',
        description: "The last four digits (`0100`) or a number as this API shows it (`+1******0100`).",
      }),
    ),
    clientId: Type.Optional(Id('Exact clientId.')),
    outcome: Type.Optional(OutcomeSchema),
    possessionType: Type.Optional(Channel),
    from: Type.Optional(Time('Sessions created at or after.')),
    to: Type.Optional(Time('Sessions created before.')),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  strict,
);
export type SessionSearchQuery = Static<typeof SessionSearchQuerySchema>;

const SessionSummarySchema = Type.Object({
  correlationId: Type.String(),
  clientId: Type.String(),
  clientRequestId: Nullable(Type.String()),
  possessionType: Type.String(),
  state: Type.String(),
  outcome: Type.String(),
  number: Nullable(Type.String({ description: 'Masked.' })),
  deviceId: Nullable(Type.String()),
  deviceMatch: Nullable(Type.String()),
  failureReason: Nullable(Type.String()),
  failureReasonText: Nullable(Type.String()),
  createdAt: IsoTime,
  expiresAt: IsoTime,
  endedAt: Nullable(IsoTime),
});
export const SessionPageSchema = Type.Object({ sessions: Type.Array(SessionSummarySchema), nextCursor: Nullable(Type.String()) });

export const CorrelationParamsSchema = Type.Object({ correlationId: Id('The session.') }, strict);
const TimelineEntrySchema = Type.Object({
  at: IsoTime,
  kind: Type.String({ description: '`event`, `message` or `device`.' }),
  type: Type.String(),
  fromState: Nullable(Type.String()),
  toState: Nullable(Type.String()),
  reason: Nullable(Type.String()),
  reasonText: Nullable(Type.String()),
  channel: Nullable(Type.String()),
  destination: Nullable(Type.String({ description: 'Masked.' })),
  provider: Type.Optional(Type.String()),
  status: Type.Optional(Type.String()),
});
export const SessionTimelineSchema = Type.Object({
  session: Type.Object({
    ...SessionSummarySchema.properties,
    otpAttempts: Type.Integer(),
    otpResends: Type.Integer(),
    linkResends: Type.Integer(),
    purgeAt: IsoTime,
  }),
  events: Type.Array(TimelineEntrySchema),
});

// ---------------------------------------------------------------------------------------------
// Devices

export const DevicesQuerySchema = Type.Object(
  { phoneNumber: Type.Optional(FullNumber), clientId: Type.Optional(Id('Every key of this client.')), limit: Type.Optional(Limit) },
  strict,
);
export const DeviceParamsSchema = Type.Object({ deviceId: Id('The Prove Key.') }, strict);
export const RevokeNumberBodySchema = Type.Object({ phoneNumber: FullNumber }, strict);
const DeviceSchema = Type.Object({
  deviceId: Type.String(),
  clientId: Type.String(),
  number: Nullable(Type.String({ description: 'Masked.' })),
  createdAt: IsoTime,
  boundAt: Nullable(IsoTime),
  lastUsedAt: IsoTime,
  revokedAt: Nullable(IsoTime),
});
export const DeviceListSchema = Type.Object({ devices: Type.Array(DeviceSchema) });
export const DeviceResponseSchema = Type.Object({ device: DeviceSchema });
export const RevokedSchema = Type.Object({ revoked: Type.Array(Type.String(), { description: 'Ids of the keys revoked by this call.' }) });

// ---------------------------------------------------------------------------------------------
// Clients

export const ClientParamsSchema = Type.Object({ clientId: Id('The client.') }, strict);
export const CreateClientBodySchema = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, strict);
const ClientSchema = Type.Object({
  clientId: Type.String(),
  name: Type.String(),
  createdAt: IsoTime,
  disabledAt: Nullable(IsoTime),
  rateLimits: Type.Object({
    rateLimitPerSecond: Type.Integer({ description: '/v3/* requests per second per client (0: no limit).' }),
    tokenPerClientPerMinute: Type.Integer({ description: 'POST /token per client per minute (0: no limit).' }),
  }),
});
export const ClientListSchema = Type.Object({ clients: Type.Array(ClientSchema) });
export const ClientCredentialsSchema = Type.Object({
  clientId: Type.String(),
  clientSecret: Type.String({ description: 'Shown once; stored only as a hash.' }),
});
export const ClientResponseSchema = Type.Object({ client: ClientSchema });

// ---------------------------------------------------------------------------------------------
// Messages, statistics, audit

export const MessagesQuerySchema = Type.Object({ clientId: Type.Optional(Id('Messages of this client.')), limit: Type.Optional(Limit) }, strict);
export const MessageListSchema = Type.Object({
  messages: Type.Array(
    Type.Object({
      messageId: Type.String(),
      clientId: Nullable(Type.String()),
      correlationId: Nullable(Type.String()),
      to: Type.String({ description: 'Masked.' }),
      provider: Type.String(),
      status: Type.String(),
      sentAt: IsoTime,
    }),
  ),
});

export const DailyStatsQuerySchema = Type.Object(
  { from: Time('From (inclusive).'), to: Time('To (exclusive).'), clientId: Type.Optional(Id('One client only.')) },
  strict,
);
export const DailyStatsSchema = Type.Object({
  days: Type.Array(
    Type.Object({
      day: Type.String({ description: 'UTC day, YYYY-MM-DD.' }),
      channel: Type.String({ description: 'mobile, desktop or none (customer-supplied).' }),
      started: Type.Integer(),
      possessionProven: Type.Integer(),
      succeeded: Type.Integer(),
    }),
  ),
});
export const DeliveryStatsQuerySchema = Type.Object({ from: Time('From (inclusive).'), to: Time('To (exclusive).') }, strict);
export const DeliveryStatsSchema = Type.Object({
  providers: Type.Array(Type.Object({ provider: Type.String(), sent: Type.Integer(), delivered: Type.Integer(), failed: Type.Integer() })),
});

export const AuditQuerySchema = Type.Object(
  {
    adminId: Type.Optional(Id('Calls of this admin.')),
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z_.-]+$', description: 'Exact action, e.g. devices.revoke.' })),
    from: Type.Optional(Time('At or after.')),
    to: Type.Optional(Time('Before.')),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  strict,
);
export const AuditPageSchema = Type.Object({
  entries: Type.Array(
    Type.Object({
      id: Type.Integer(),
      at: IsoTime,
      adminId: Nullable(Type.String()),
      action: Type.String(),
      target: Nullable(Type.String()),
      detail: Nullable(Type.Record(Type.String(), Type.Unknown())),
      address: Nullable(Type.String()),
    }),
  ),
  nextCursor: Nullable(Type.String()),
});

// ---------------------------------------------------------------------------------------------
// Webhooks (docs/webhooks.md): a client's endpoints and their deliveries

const WebhookEvent = Type.Union(
  WEBHOOK_EVENTS.map((e) => Type.Literal(e)),
  { description: 'An event type (docs/webhooks.md "Events").' },
);
export const WebhookEndpointParamsSchema = Type.Object({ clientId: Id('The client.'), endpointId: Id('The endpoint (we_…).') }, strict);
export const WebhookDeliveryParamsSchema = Type.Object({ clientId: Id('The client.'), webhookId: Id('The delivery: its webhook-id header (msg_…).') }, strict);
export const AddWebhookBodySchema = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2000, description: 'Where events are POSTed: http:// or https://, no credentials in it.' }),
    events: Type.Optional(Type.Array(WebhookEvent, { minItems: 1, uniqueItems: true, description: 'Default: every event.' })),
    includePhone: Type.Optional(Type.Boolean({ description: 'Put the full number in payloads (default false: the masked number only).' })),
  },
  strict,
);
const WebhookEndpointSchema = Type.Object({
  endpointId: Type.String(),
  clientId: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  includePhone: Type.Boolean(),
  createdAt: IsoTime,
});
export const WebhookEndpointListSchema = Type.Object({ endpoints: Type.Array(WebhookEndpointSchema) });
export const WebhookEndpointAddedSchema = Type.Object({
  endpoint: WebhookEndpointSchema,
  secret: Type.String({ description: 'whsec_…: in this answer only; never listed, never logged.' }),
});
export const WebhookSecretSchema = Type.Object({
  endpointId: Type.String(),
  secret: Type.String({ description: 'The new whsec_… secret: in this answer only. The old one signs nothing from now on.' }),
});
export const WebhookRemovedSchema = Type.Object({ removed: Type.String({ description: 'The endpoint id.' }) });
export const WebhookDeliveriesQuerySchema = Type.Object({ endpointId: Type.Optional(Id('Deliveries of this endpoint only.')), limit: Type.Optional(Limit) }, strict);
export const WebhookDeliveryListSchema = Type.Object({
  deliveries: Type.Array(
    Type.Object({
      webhookId: Type.String({ description: 'The webhook-id header (msg_…).' }),
      endpointId: Type.String(),
      eventType: Type.String(),
      status: Type.String({ description: '`pending`, `sending`, `delivered` or `failed`.' }),
      attempts: Type.Integer(),
      lastStatus: Nullable(Type.Integer({ description: "The receiver's last HTTP status (null: no answer)." })),
      lastError: Nullable(Type.String({ description: '`http 500`, `timeout` or `unreachable`.' })),
      createdAt: IsoTime,
      nextAttemptAt: Nullable(IsoTime),
      deliveredAt: Nullable(IsoTime),
    }),
  ),
});
export const WebhookRedeliveredSchema = Type.Object({ webhookId: Type.String(), status: Type.Literal('pending') });
