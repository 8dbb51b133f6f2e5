/**
 * @module envelope
 * Builders for the client protocol's reply envelope `{next, data?, error?}` (client-protocol.md §3.2).
 */
import { ClientErrorCode, Step, type ClientEnvelope, type StepName } from '@handset/protocol';
import type { SessionRow } from '../store/sessions-repo.js';
import { TERMINAL_STATES } from '../flows/session-state.js';

export function next(step: StepName | string, data?: Record<string, unknown>): ClientEnvelope {
  return data === undefined ? { next: step } : { next: step, data };
}

export function failure(code: number, message: string, step: StepName | string): ClientEnvelope {
  return { next: step, error: { code, message } };
}

/** The reply to a step the session's state does not allow: the SDK rejects `authenticate()` with it. */
export function stepNotAllowed(session: SessionRow, step: string): ClientEnvelope {
  const why = TERMINAL_STATES.has(session.state) ? 'this authentication session has ended' : `${step} is not expected now`;
  return failure(ClientErrorCode.AUTHENTICATION_PROHIBITED_ACTION, `step not allowed: ${why}`, '');
}

/**
 * The reply when the fraud policy ended the session (an enforced `fail` rule): the SDK goes to
 * `done` and the integrator's `unify-status` reads `false` with the rule's reason.
 */
export function policyRefused(): ClientEnvelope {
  return failure(ClientErrorCode.AUTHENTICATION_FAILURE, 'This verification was refused.', Step.DONE);
}

