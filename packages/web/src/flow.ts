/**
 * @module flow
 * The step machine (`client-protocol.md` §2): start at `auth.next`, run each step and follow the
 * name it resolves with. `"done"` ends with the finish step, `""` ends silently, an unknown name
 * rejects, and more than 50 transitions (error-report hops included) fail with 10005.
 *
 * Failures (§2.3): a server `error` object continues at its `next` (or rejects without one); a
 * reportable client-side failure is posted to `/v1/client/<area>/error` for the last step and the
 * flow continues at that reply's `next`; anything else rejects.
 */
import { ClientErrorCode, errorReportPath, Step, type ErrorReportArea } from '@handset/protocol/browser';
import { AuthError } from './errors.js';
import type { FlowContext, StepHandler } from './session.js';
import { callServer } from './transport.js';

/** Most transitions one `authenticate()` may take. */
export const MAX_TRANSITIONS = 50;

const MAX_REPORT_MESSAGE = 1000;

/** Error-report area of each step the SDK runs (§2.3 table). */
export const ERROR_AREA: Readonly<Record<string, ErrorReportArea>> = {
  [Step.DEVICE_PASSIVE]: 'device/passive',
  [Step.DEVICE_PASSIVE_SILENT]: 'device/passive',
  [Step.MOBILE_INSTANT]: 'mobile/instant',
  [Step.MOBILE_INSTANTLINK]: 'mobile/instantlink',
  [Step.MOBILE_OTP]: 'mobile/otp',
};

/** The steps an authenticator knows, by name. */
export type StepRegistry = Readonly<Record<string, StepHandler>>;

/** Runs a step promise, racing it against cancellation. */
export type Racer = <T>(work: Promise<T>) => Promise<T>;

function asAuthError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AuthError(message || 'Authentication step failed', { reportable: true, cause: error });
}

async function report(ctx: FlowContext, area: ErrorReportArea, error: AuthError): Promise<unknown> {
  const message = error.message.slice(0, MAX_REPORT_MESSAGE);
  const reply = await callServer(ctx.session, errorReportPath(area), error.code ? { code: error.code, message } : { message });
  return reply.next;
}

/**
 * Drives the flow. Resolves `true` when it reached `"done"` (the caller runs the finish step) and
 * `false` when it ended with `""`.
 */
export async function runFlow(ctx: FlowContext, steps: StepRegistry, race: Racer): Promise<boolean> {
  let step: unknown = ctx.claims.auth.next;
  let transitions = 0;
  let last: string | undefined;
  for (;;) {
    if (step === Step.DONE) return true;
    if (step === Step.END) return false;
    if (++transitions > MAX_TRANSITIONS) {
      const tooMany = new AuthError('Too many authentication steps', { code: ClientErrorCode.MAX_ATTEMPTS, reportable: true });
      const area = last === undefined ? undefined : ERROR_AREA[last];
      if (area) await race(report(ctx, area, tooMany)).catch(() => undefined);
      throw tooMany;
    }
    const name = typeof step === 'string' ? step : undefined;
    const handler = name !== undefined && Object.hasOwn(steps, name) ? steps[name] : undefined;
    if (!name || !handler) throw new AuthError(`Unknown authentication step: ${String(step)}`);
    last = name;
    try {
      step = await race(handler(ctx));
    } catch (caught) {
      const error = asAuthError(caught);
      if (ctx.session.signal?.aborted) throw caught;
      if (!error.reportable) {
        if (error.nextStep) {
          step = error.nextStep;
          continue;
        }
        throw error;
      }
      const area = ERROR_AREA[name];
      if (!area) throw error;
      transitions++;
      step = await race(report(ctx, area, error));
    }
  }
}
