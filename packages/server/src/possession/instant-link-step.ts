/**
 * @module instant-link-step
 * Instant Link (`mobile/instantlink`): text a one-time link to the phone; opening it proves
 * possession, releases the waiting desktop through the status socket, and sends the phone on to
 * the integrator's `finalTargetUrl` with `authId` and `asc=true` (client-protocol.md §5).
 */
import { INSTANT_LINK_MAX_RESENDS, Step, ValidationCode, type ClientEnvelope } from '@handset/protocol';
import type { Deps } from '../deps.js';
import { transition } from '../flows/session-state.js';
import { runSessionStep, type StepContext } from '../flows/session-tx.js';
import { DEFAULT_LINK_TEMPLATE, renderLink } from '../flows/sms-templates.js';
import { sha256Hex } from '../lib/hash.js';
import { randomToken } from '../ports/random.js';
import { changeNumber } from './change-number.js';
import { next, stepNotAllowed } from './envelope.js';
import { settle } from './settle.js';

/** Decision C3: "wait on the status socket". */
const WAIT: ClientEnvelope = { next: Step.END, data: {} };

async function sendLink(deps: Deps, ctx: StepContext): Promise<void> {
  const token = randomToken(deps.random);
  const url = `${deps.config.publicUrl}/v1/il/${token}`;
  const template = ctx.current.sms_message ?? DEFAULT_LINK_TEMPLATE;
  ctx.stage({ link_hash: sha256Hex(token), link_sent_at: ctx.now });
  await deps.sms.send({ to: ctx.current.phone_e164!, body: renderLink(template, url), clientId: ctx.current.client_id }, ctx.trx);
}

/** `mobileNumber`: absent → first send; `""` → resend; a number → change of number. */
export async function startInstantLink(deps: Deps, authId: string, mobileNumber: string | null | undefined): Promise<ClientEnvelope> {
  return runSessionStep(deps, { column: 'auth_id', value: authId }, async (_session, ctx) => {
    const alreadySent = ctx.current.state === 'link_sent';
    if (!transition(ctx.current, { type: 'link_sent' })) return stepNotAllowed(ctx.current, 'Instant Link');
    if (mobileNumber) {
      const invalid = await changeNumber(deps, ctx, mobileNumber);
      if (invalid) return next(Step.END, { code: ValidationCode.INVALID_PHONE_NUMBER, message: invalid });
    }
    ctx.apply({ type: 'link_sent' });
    if (alreadySent) {
      if (ctx.current.link_resends >= INSTANT_LINK_MAX_RESENDS) {
        deps.log.warn({ correlationId: ctx.current.correlation_id }, 'instant link resend refused: limit reached');
        return WAIT;
      }
      ctx.stage({ link_resends: ctx.current.link_resends + 1 });
    }
    await sendLink(deps, ctx);
    return WAIT;
  });
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
