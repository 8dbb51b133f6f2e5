/**
 * @module admin-webhooks
 * The admin API's webhook routes (`/admin/v1/clients/{clientId}/webhooks…`, docs/admin.md): a
 * client's endpoints (list, add, rotate the secret, remove), their deliveries, and redelivery by
 * id. Every route is scoped by the client in its path: an endpoint or delivery of another client
 * is a 404, as an unknown one. The work is done by the webhooks module's own functions, the ones
 * `handset webhooks …` calls, so the CLI and the API cannot drift apart. A secret is in the answer
 * of add and rotate-secret only: never listed, never audited.
 */
import { ErrorBodySchema } from '@handset/protocol';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import { clientExists } from '../../store/clients-repo.js';
import type { Executor } from '../../store/executor.js';
import {
  addWebhookEndpoint,
  listWebhookEndpoints,
  removeWebhookEndpoint,
  rotateWebhookSecret,
  WebhookEndpointError,
  type WebhookEndpoint,
} from '../../webhooks/endpoints-repo.js';
import { listDeliveries, redeliver } from '../../webhooks/queue.js';
import { webhookEnqueueDeps } from '../../webhooks/wiring.js';
import { apiError } from '../api-error.js';
import * as S from './admin-api-schemas.js';

type Plugin = Parameters<FastifyPluginAsyncTypebox>[0];

/** What the admin API plugin lends these routes: its audit writers and its page-size check. */
export interface AdminRouteKit {
  /** Writes the call's audit entry (a read: before its data is sent). */
  audit: (q: Executor, request: FastifyRequest, entry: { target?: string | null; detail?: Record<string, unknown> | null }) => Promise<void>;
  /** Runs a change and its audit entry in one transaction. */
  change: <T>(request: FastifyRequest, work: (trx: Executor) => Promise<{ value: T; target?: string | null; detail?: Record<string, unknown> }>) => Promise<T>;
  limitOf: (value: string | undefined) => number;
}

const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 404: ErrorBodySchema, 429: ErrorBodySchema, 503: ErrorBodySchema };
const secured = { security: [{ adminBearer: [] }], tags: ['admin'] };
const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));
const endpointOut = (e: WebhookEndpoint) => ({ ...e, createdAt: iso(e.createdAt) });

const NO_CLIENT = 'no client with this clientId';

/** Registers the webhook routes on the admin API plugin `app`. */
export function adminWebhookRoutes(app: Plugin, deps: Deps, kit: AdminRouteKit): void {
  const db = deps.db.kysely;
  const { audit, change } = kit;

  app.get(
    '/clients/:clientId/webhooks',
    {
      config: { adminAction: 'webhooks.list' },
      schema: { ...secured, summary: "A client's webhook endpoints (secrets are never shown)", params: S.ClientParamsSchema, response: { 200: S.WebhookEndpointListSchema, ...errors } },
    },
    async (request) => {
      const { clientId } = request.params;
      if (!(await clientExists(db, clientId))) throw apiError('NOT_FOUND', NO_CLIENT);
      const endpoints = await listWebhookEndpoints(db, clientId);
      await audit(db, request, { target: clientId, detail: { results: endpoints.length } });
      return { endpoints: endpoints.map(endpointOut) };
    },
  );

  app.post(
    '/clients/:clientId/webhooks',
    {
      config: { adminAction: 'webhooks.add' },
      schema: {
        ...secured,
        summary: 'Add a webhook endpoint for a client; its signing secret is in this answer only',
        params: S.ClientParamsSchema,
        body: S.AddWebhookBodySchema,
        response: { 200: S.WebhookEndpointAddedSchema, ...errors },
      },
    },
    async (request) => {
      const { clientId } = request.params;
      const { url, events, includePhone } = request.body;
      return change(request, async (trx) => {
        if (!(await clientExists(trx, clientId))) throw apiError('NOT_FOUND', NO_CLIENT);
        let added;
        try {
          added = await addWebhookEndpoint(
            trx,
            { random: deps.random, now: deps.clock.now() },
            { clientId, url, ...(events !== undefined && { events: events.join(',') }), includePhone: includePhone === true },
          );
        } catch (error) {
          if (error instanceof WebhookEndpointError) throw apiError('MALFORMED_REQUEST', error.message);
          throw error;
        }
        const { secret, ...endpoint } = added;
        // The audit keeps the endpoint's host, not its path (a receiver's path may carry a token).
        return {
          value: { endpoint: endpointOut(endpoint), secret },
          target: endpoint.endpointId,
          detail: { clientId, host: new URL(url).host, events: endpoint.events, includePhone: endpoint.includePhone },
        };
      });
    },
  );

  app.post(
    '/clients/:clientId/webhooks/:endpointId/rotate-secret',
    {
      config: { adminAction: 'webhooks.rotate-secret' },
      schema: {
        ...secured,
        summary: 'Give a webhook endpoint a new secret (in this answer only); the next attempt is signed with it',
        params: S.WebhookEndpointParamsSchema,
        response: { 200: S.WebhookSecretSchema, ...errors },
      },
    },
    async (request) => {
      const { clientId, endpointId } = request.params;
      return change(request, async (trx) => {
        const secret = await rotateWebhookSecret(trx, deps.random, endpointId, clientId);
        if (!secret) throw apiError('NOT_FOUND', 'no webhook endpoint with this id for this client');
        return { value: { endpointId, secret }, target: endpointId, detail: { clientId } };
      });
    },
  );

  app.post(
    '/clients/:clientId/webhooks/:endpointId/remove',
    {
      config: { adminAction: 'webhooks.remove' },
      schema: {
        ...secured,
        summary: 'Remove a webhook endpoint; its deliveries still waiting are dropped',
        params: S.WebhookEndpointParamsSchema,
        response: { 200: S.WebhookRemovedSchema, ...errors },
      },
    },
    async (request) => {
      const { clientId, endpointId } = request.params;
      return change(request, async (trx) => {
        if (!(await removeWebhookEndpoint(trx, endpointId, clientId))) throw apiError('NOT_FOUND', 'no webhook endpoint with this id for this client');
        return { value: { removed: endpointId }, target: endpointId, detail: { clientId } };
      });
    },
  );

  app.get(
    '/clients/:clientId/webhooks/deliveries',
    {
      config: { adminAction: 'webhooks.deliveries' },
      schema: {
        ...secured,
        summary: "A client's webhook deliveries, newest first (status, attempts, last answer; never the payload)",
        params: S.ClientParamsSchema,
        querystring: S.WebhookDeliveriesQuerySchema,
        response: { 200: S.WebhookDeliveryListSchema, ...errors },
      },
    },
    async (request) => {
      const { clientId } = request.params;
      const { endpointId, limit } = request.query;
      if (!(await clientExists(db, clientId))) throw apiError('NOT_FOUND', NO_CLIENT);
      const rows = await listDeliveries(db, { clientId, limit: kit.limitOf(limit), ...(endpointId !== undefined && { endpointId }) });
      await audit(db, request, { target: clientId, detail: { endpointId, results: rows.length } });
      return {
        deliveries: rows.map((d) => ({
          webhookId: d.id,
          endpointId: d.endpointId,
          eventType: d.eventType,
          status: d.status,
          attempts: d.attempts,
          lastStatus: d.lastStatus,
          lastError: d.lastError,
          createdAt: iso(d.createdAt),
          nextAttemptAt: isoOrNull(d.nextAttemptAt),
          deliveredAt: isoOrNull(d.deliveredAt),
        })),
      };
    },
  );

  app.post(
    '/clients/:clientId/webhooks/deliveries/:webhookId/redeliver',
    {
      config: { adminAction: 'webhooks.redeliver' },
      schema: {
        ...secured,
        summary: 'Send a delivery again with the same webhook-id (a running server sends it within its poll interval)',
        params: S.WebhookDeliveryParamsSchema,
        response: { 200: S.WebhookRedeliveredSchema, ...errors },
      },
    },
    async (request) => {
      const { clientId, webhookId } = request.params;
      const value = await change(request, async (trx) => {
        if (!(await redeliver(trx, webhookId, deps.clock.now(), clientId))) {
          throw apiError('NOT_FOUND', 'no webhook delivery with this id for this client (or it is being sent right now)');
        }
        return { value: { webhookId, status: 'pending' as const }, target: webhookId, detail: { clientId } };
      });
      // This instance sends it now rather than at its next poll.
      webhookEnqueueDeps(deps).nudgeWebhooks?.();
      return value;
    },
  );
}
