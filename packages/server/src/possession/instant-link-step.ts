/**
 * @module instant-link-step
 * Instant Link (`mobile/instantlink`): text a one-time link to the phone; opening it proves
 * possession, releases the waiting desktop through the status socket, and sends the phone on to
 * the integrator's `finalTargetUrl` with `authId` and `asc=true` (client-protocol.md §5).
 */
import { INSTANT_LINK_MAX_RESENDS, Step, type ClientEnvelope } from '@handset/protocol';
import type { Deps } from '../deps.js';
import { runSessionStep, type StepContext } from '../flows/session-tx.js';
import { DEFAULT_LINK_TEMPLATE, renderLink } from '../flows/sms-templates.js';
import { sha256Hex } from '../lib/hash.js';
import { randomToken } from '../ports/random.js';
import { sendMessageStep, type MessageChannel } from './send-message-step.js';
import { settle } from '../flows/settle.js';

/** Decision C3: "wait on the status socket". */
const WAIT: ClientEnvelope = { next: Step.END, data: {} };

async function sendLink(deps: Deps, ctx: StepContext): Promise<void> {
  const token = randomToken(deps.random);
  const url = `${deps.config.publicUrl}/v1/il/${token}`;
  const template = ctx.current.sms_message ?? DEFAULT_LINK_TEMPLATE;
  ctx.stage({ link_hash: sha256Hex(token), link_sent_at: ctx.now });
  await deps.sms.send({ to: ctx.current.phone_e164!, body: renderLink(template, url), clientId: ctx.current.client_id }, ctx.trx);
}

const LINK_CHANNEL: MessageChannel = {
  event: 'link_sent',
  resendsField: 'link_resends',
  maxResends: INSTANT_LINK_MAX_RESENDS,
  step: Step.END,
  sent: WAIT,
  send: sendLink,
};

/** `mobileNumber`: absent → first send; `""` → resend; a number → change of number. */
export async function startInstantLink(deps: Deps, authId: string, mobileNumber: string | null | undefined): Promise<ClientEnvelope> {
  return runSessionStep(deps, { column: 'auth_id', value: authId }, (_session, ctx) =>
    sendMessageStep(deps, ctx, LINK_CHANNEL, mobileNumber),
  );
}

export type LinkOpening =
  | { kind: 'redirect'; location: string }
  | { kind: 'expired' }
  | { kind: 'unknown' };

function finalTarget(base: string, authId: string): string {
  const url = new URL(base);
  url.searchParams.set('authId', authId);
  url.searchParams.set('asc', 'true');
  return url.toString();
}

/** The phone opened the link. Opening it again after success redirects again. */
export async function openInstantLink(deps: Deps, token: string): Promise<LinkOpening> {
  return runSessionStep(deps, { column: 'link_hash', value: sha256Hex(token) }, async (session, ctx) => {
    if (!session || !session.final_target_url) return { kind: 'unknown' } as const;
    if (ctx.current.state === 'link_sent') {
      const result = ctx.apply({ type: 'possession_proven' });
      await settle(deps, ctx, result);
    }
    if (ctx.current.state !== 'succeeded') return { kind: 'expired' } as const;
    return { kind: 'redirect', location: finalTarget(session.final_target_url, session.auth_id) } as const;
  });
}
