/**
 * @module webhooks/endpoints-repo
 * Per-client webhook endpoints: add (the secret is returned once), list (never the secret),
 * rotate the secret, remove. The secret is `whsec_` + base64 of 24 random bytes (Standard
 * Webhooks). It is stored readable because every delivery is signed with it (docs/webhooks.md
 * "Secrets"); it is never logged and never listed.
 */
import type { Random } from '../ports/random.js';
import type { Executor } from '../store/executor.js';
import { clientExists } from '../store/clients-repo.js';
import { isWebhookEvent, WEBHOOK_EVENTS, type WebhookEventType } from './events.js';

/** Why an endpoint cannot be added (the CLI prints the message). */
export class WebhookEndpointError extends Error {}

/** An endpoint as listed (no secret). */
export interface WebhookEndpoint {
  endpointId: string;
  clientId: string;
  url: string;
  events: WebhookEventType[];
  includePhone: boolean;
  createdAt: number;
}

/** A new secret in the Standard Webhooks form. */
export function newWebhookSecret(random: Random): string {
  return `whsec_${Buffer.from(random.bytes(24)).toString('base64')}`;
}

/** Checks an endpoint URL: absolute http(s), no credentials in it. */
export function checkWebhookUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WebhookEndpointError(`not a URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new WebhookEndpointError('the URL must be http:// or https://');
  if (parsed.username || parsed.password) throw new WebhookEndpointError('the URL must not carry credentials');
  return parsed;
}

/** Parses a comma-separated event list (default: every event). */
export function parseWebhookEvents(list: string | undefined): WebhookEventType[] {
  if (list === undefined) return [...WEBHOOK_EVENTS];
  const events = list.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (events.length === 0) throw new WebhookEndpointError('--events names no event');
  for (const e of events) {
    if (!isWebhookEvent(e)) throw new WebhookEndpointError(`unknown event ${JSON.stringify(e)} (one of ${WEBHOOK_EVENTS.join(', ')})`);
  }
  return [...new Set(events as WebhookEventType[])];
}

/** Adds an endpoint for an existing client; returns it with its secret (shown once). */
export async function addWebhookEndpoint(
  q: Executor,
  deps: { random: Random; now: number },
  input: { clientId: string; url: string; events?: string; includePhone?: boolean },
): Promise<WebhookEndpoint & { secret: string }> {
  checkWebhookUrl(input.url);
  const events = parseWebhookEvents(input.events);
  if (!(await clientExists(q, input.clientId))) throw new WebhookEndpointError(`no client ${input.clientId}`);
  const endpoint = {
    endpointId: `we_${deps.random.uuid().replaceAll('-', '')}`,
    clientId: input.clientId,
    url: input.url,
    events,
    includePhone: input.includePhone === true,
    createdAt: deps.now,
  };
  const secret = newWebhookSecret(deps.random);
  await q
    .insertInto('webhook_endpoints')
    .values({
      id: endpoint.endpointId,
      client_id: endpoint.clientId,
      url: endpoint.url,
      events: events.join(','),
      include_phone: endpoint.includePhone ? 1 : 0,
      secret,
      created_at: deps.now,
    })
    .execute();
  return { ...endpoint, secret };
}

/** Lists endpoints (of one client, or all), oldest first; secrets are not read. */
export async function listWebhookEndpoints(q: Executor, clientId?: string): Promise<WebhookEndpoint[]> {
  let query = q.selectFrom('webhook_endpoints').select(['id', 'client_id', 'url', 'events', 'include_phone', 'created_at']).orderBy('created_at').orderBy('id');
  if (clientId !== undefined) query = query.where('client_id', '=', clientId);
  const rows = await query.execute();
  return rows.map((r) => ({
    endpointId: r.id,
    clientId: r.client_id,
    url: r.url,
    events: r.events.split(',') as WebhookEventType[],
    includePhone: Number(r.include_phone) === 1,
    createdAt: Number(r.created_at),
  }));
}

/**
 * Gives an endpoint a new secret (returned once); deliveries from now on are signed with it.
 * Null: no such endpoint (or, with `clientId`, none of that client's: the admin API is scoped by client).
 */
export async function rotateWebhookSecret(q: Executor, random: Random, endpointId: string, clientId?: string): Promise<string | null> {
  const secret = newWebhookSecret(random);
  let update = q.updateTable('webhook_endpoints').set({ secret }).where('id', '=', endpointId);
  if (clientId !== undefined) update = update.where('client_id', '=', clientId);
  const result = await update.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1 ? secret : null;
}

/** Removes an endpoint and its deliveries not yet delivered; false when there was none (of `clientId`, when given). */
export async function removeWebhookEndpoint(q: Executor, endpointId: string, clientId?: string): Promise<boolean> {
  let remove = q.deleteFrom('webhook_endpoints').where('id', '=', endpointId);
  if (clientId !== undefined) remove = remove.where('client_id', '=', clientId);
  const result = await remove.executeTakeFirst();
  if (Number(result.numDeletedRows) !== 1) return false;
  await q.deleteFrom('webhook_deliveries').where('endpoint_id', '=', endpointId).where('status', 'in', ['pending', 'sending']).execute();
  return true;
}
