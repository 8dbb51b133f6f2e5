/**
 * @module instant-link-step
 * Instant Link (`mobile/instantlink`): text a one-time link to the phone; opening it proves
 * possession, releases the waiting desktop through the status socket, and sends the phone on to
 * the integrator's `finalTargetUrl` with `authId` and `asc=true` (client-protocol.md §5).
 */
import { Step, type ClientEnvelope } from '@handset/protocol';
import type { Deps } from '../deps.js';
import { bySessionToken, runSessionStep, type SessionToken, type StepContext } from '../flows/session-tx.js';
import { DEFAULT_LINK_TEMPLATE, renderLink } from '../flows/sms-templates.js';
import { sha256Hex } from '../lib/hash.js';
import { randomToken } from '../ports/random.js';
import { sendMessageStep, type MessageChannel } from './send-message-step.js';
import { applyAndSettle } from '../flows/settle.js';
import { guardVerify } from '../policy/guard.js';

/** Decision C3: "wait on the status socket". */
const WAIT: ClientEnvelope = { next: Step.END, data: {} };

/**
 * The link is found by the hash of its token; the state machine accepts it only while the number
 * it was sent to (`proof_to`) is the session's, and a change of number clears it.
 */
async function sendLink(deps: Deps, ctx: StepContext, to: string): Promise<void> {
  const token = randomToken(deps.random);
  const url = `${deps.config.publicUrl}/v1/il/${token}`;
  const template = ctx.session.sms_message ?? DEFAULT_LINK_TEMPLATE;
  ctx.stage({ link_hash: sha256Hex(token), link_sent_at: ctx.now });
  await deps.sms.send({ to, body: renderLink(template, url), clientId: ctx.session.client_id, correlationId: ctx.session.correlation_id }, ctx.trx);
}

const LINK_CHANNEL: MessageChannel = { event: 'link_sent', step: Step.END, sent: WAIT, send: sendLink };

/** `mobileNumber`: absent → first send; `""` → resend; a number → change of number. */
export async function startInstantLink(deps: Deps, caller: SessionToken, mobileNumber: string | null | undefined): Promise<ClientEnvelope> {
  return runSessionStep(deps, bySessionToken(caller), (ctx) => sendMessageStep(deps, ctx, LINK_CHANNEL, mobileNumber));
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
  return runSessionStep(
    deps,
    { column: 'link_hash', value: sha256Hex(token) },
    async (ctx): Promise<LinkOpening> => {
      const target = ctx.session.final_target_url;
      if (!target) return { kind: 'unknown' };
      // fail at `verify`: the session ends with the rule's reason instead of succeeding.
      if (ctx.permits({ type: 'link_opened' }) && (await guardVerify(deps, ctx, 'link')).action === 'fail') return { kind: 'expired' };
      await applyAndSettle(deps, ctx, { type: 'link_opened' });
      if (ctx.session.state !== 'succeeded') return { kind: 'expired' };
      return { kind: 'redirect', location: finalTarget(target, ctx.session.auth_id) };
    },
    () => ({ kind: 'unknown' }),
  );
}
