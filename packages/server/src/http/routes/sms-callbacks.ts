/**
 * @module sms-callbacks
 * Provider status callbacks for the courier (docs/channels.md, "Courier" → "Status callbacks"),
 * served only for the providers configured: Twilio (`X-Twilio-Signature` over the configured URL),
 * Vonage delivery receipts (GET or POST; `sig` checked when a signature secret is set) and the
 * webhook gateway (Standard Webhooks). A verified callback moves its message forward (never back)
 * and answers 204, also when the message is unknown (the provider must not retry forever); a bad
 * signature answers 401 and an unreadable callback 400, both `{code, message}`. A refused signature
 * spends from the caller's address budget (429 once spent), like a refused authToken: a provider's
 * verified callbacks are bounded by the texts sent, and are not refused for another's guessing.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { applyStatusUpdate } from '../../courier/status-updates.js';
import type { Deps } from '../../deps.js';
import { parseTwilioStatusCallback, verifyTwilioCallback, type CallbackParams } from '../../sms/providers/twilio-callback.js';
import { parseVonageReceipt, verifyVonageReceipt } from '../../sms/providers/vonage-receipt.js';
import { verifyWebhookSmsCallback, WebhookCallbackError } from '../../sms/providers/webhook.js';
import type { SmsStatusUpdate } from '../../sms/providers/provider.js';
import { apiError, HttpError } from '../api-error.js';
import { limitByAddress } from '../caller-limits.js';

/** WebhookCallbackError's message for a verified body that is not an `sms.status` event (webhook.ts). */
const NOT_A_STATUS_EVENT = 'not an sms.status event';

/** Callback paths, relative to the public URL. */
export const SMS_CALLBACK_PATHS = {
  twilio: '/v1/sms/status/twilio',
  vonage: '/v1/sms/status/vonage',
  webhook: '/v1/sms/status/webhook',
} as const;

/** The absolute callback URLs handed to the providers (and, for Twilio, the URL its signature covers). */
export function smsCallbackUrls(publicUrl: string): { twilio: string; vonage: string; webhook: string } {
  const base = publicUrl.replace(/\/+$/, '');
  return { twilio: base + SMS_CALLBACK_PATHS.twilio, vonage: base + SMS_CALLBACK_PATHS.vonage, webhook: base + SMS_CALLBACK_PATHS.webhook };
}

/** A form or JSON body as callback parameters (non-string JSON values become strings). */
function bodyParams(body: unknown): Record<string, string> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
  return Object.fromEntries(Object.entries(body as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}

function queryParams(request: FastifyRequest): URLSearchParams {
  const index = request.url.indexOf('?');
  return new URLSearchParams(index === -1 ? '' : request.url.slice(index + 1));
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

export function smsCallbackRoutes(app: FastifyInstance, deps: Deps): void {
  const callbacks = deps.smsCallbacks;
  if (!callbacks) return;
  // Unauthenticated guessing is bounded per address: a 401 spends from it before it is answered.
  const refusedPays =
    (handler: Handler): Handler =>
    async (request, reply) => {
      try {
        return await handler(request, reply);
      } catch (error) {
        if (error instanceof HttpError && error.status === 401) await limitByAddress(deps, request);
        throw error;
      }
    };
  const urls = smsCallbackUrls(deps.config.publicUrl);
  const apply = async (provider: string, update: SmsStatusUpdate | null): Promise<void> => {
    if (!update) throw apiError('MALFORMED_REQUEST', 'not a status callback Handset can read');
    const result = await applyStatusUpdate(deps.db, provider, update, deps.clock.now());
    deps.log.info({ provider, status: update.status, result }, 'sms status callback');
  };

  if (callbacks.twilioAuthToken !== undefined) {
    const token = callbacks.twilioAuthToken;
    app.post(SMS_CALLBACK_PATHS.twilio, refusedPays(async (request, reply) => {
      const params = bodyParams(request.body);
      const signature = request.headers['x-twilio-signature'];
      if (!verifyTwilioCallback(urls.twilio, params, typeof signature === 'string' ? signature : undefined, token)) {
        throw apiError('UNAUTHORIZED', 'the X-Twilio-Signature does not match');
      }
      await apply('twilio', parseTwilioStatusCallback(params));
      return reply.status(204).send();
    }));
  }

  // Only signed receipts are taken: without HANDSET_VONAGE_SIGNATURE_SECRET none are asked for (config.ts).
  const signing = callbacks.vonageSignature;
  if (deps.smsCallbackProviders?.includes('vonage') && signing) {
    const receipt = async (params: CallbackParams): Promise<void> => {
      const check = verifyVonageReceipt(params, signing.secret, signing.method, Math.floor(deps.clock.now() / 1000));
      if (check !== 'ok') throw apiError('UNAUTHORIZED', `the delivery receipt is ${check === 'stale' ? 'too old' : check === 'unsigned' ? 'not signed' : 'badly signed'}`);
      await apply('vonage', parseVonageReceipt(params));
    };
    app.get(SMS_CALLBACK_PATHS.vonage, refusedPays(async (request, reply) => {
      await receipt(queryParams(request));
      return reply.status(204).send();
    }));
    app.post(SMS_CALLBACK_PATHS.vonage, refusedPays(async (request, reply) => {
      await receipt(bodyParams(request.body));
      return reply.status(204).send();
    }));
  }

  if (callbacks.webhookSecret !== undefined) {
    const secret = callbacks.webhookSecret;
    app.post(SMS_CALLBACK_PATHS.webhook, refusedPays(async (request, reply) => {
      let update: SmsStatusUpdate;
      try {
        update = verifyWebhookSmsCallback(request.rawBody ?? '', request.headers, secret).update;
      } catch (error) {
        // The verifier checks the signature first; a verified body of the wrong shape is a 400.
        if (error instanceof WebhookCallbackError && error.message === NOT_A_STATUS_EVENT) throw apiError('MALFORMED_REQUEST', 'not a status callback Handset can read');
        if (error instanceof WebhookCallbackError) throw apiError('UNAUTHORIZED', 'the webhook signature or timestamp does not verify');
        throw error;
      }
      await apply('webhook', update);
      return reply.status(204).send();
    }));
  }
}
