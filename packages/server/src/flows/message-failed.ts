/**
 * @module message-failed
 * A text the courier gave up on reaches its session: when it carried the session's live proof
 * (the code or link for the current number), the session ends `failed` with reason 9801 and a
 * waiting desktop or a polling integrator hears it at once (`unify-status` says `false`). A text
 * to an earlier number, or one the session no longer waits for, changes nothing (the state machine
 * refuses the event; the timeline shows it); nor does one whose resend to the same number is still
 * on its way or arrived (only when every text to that number has given up is the number
 * unreachable). Runs as a session step: its own transaction, after the message's outcome is
 * committed (a crash in between leaves the session to expire as before).
 */
import type { Deps } from '../deps.js';
import type { GivenUp } from '../courier/dispatcher.js';
import type { Executor } from '../store/executor.js';
import { runSessionStep } from './session-tx.js';

/** True while some text of the session to `to` has not given up (queued, sending, sent or delivered). */
async function anotherTextMayArrive(trx: Executor, message: GivenUp): Promise<boolean> {
  const row = await trx
    .selectFrom('sms_outbox')
    .select('id')
    .where('correlation_id', '=', message.correlationId)
    .where('to_e164', '=', message.to)
    .where('status', 'not in', ['failed', 'undeliverable'])
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export async function messageFailed(deps: Deps, message: GivenUp): Promise<void> {
  await runSessionStep(
    deps,
    { column: 'correlation_id', value: message.correlationId },
    async (ctx) => {
      if (await anotherTextMayArrive(ctx.trx, message)) return;
      ctx.apply({ type: 'message_failed', to: message.to });
    },
    () => undefined,
  );
}
