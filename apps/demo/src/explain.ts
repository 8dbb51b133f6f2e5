/**
 * @module explain
 * Turns a `unify-status` / `unify-bind` answer into plain words for the person at the page: a
 * headline, a few sentences on what happened and what comes next, and the Global Fraud Policy
 * `evaluation` with each failure reason explained. Also the shape the front end renders
 * ({@link OutcomeView}); it imports that as a type only.
 */
import type { V3UnifyStatusResponse } from '@handset/node';
import { maskPhone } from './phone.js';

/** The three ways the demo checks a phone number. */
export type DemoFlow = 'mobile' | 'desktop' | 'customer';

/** The demo's own possession check, when one is waiting for its code. */
export interface CheckView {
  /** The masked number the code was "sent" to (it is in the demo inbox). */
  sentTo: string;
  /** ISO time after which the code no longer works. */
  expiresAt: string;
  attemptsLeft: number;
}

/** One category of the evaluation, in plain words. */
export interface EvaluationView {
  category: string;
  result: 'pass' | 'fail';
  reasons: Array<{ code: string; plain: string; description: string }>;
}

/** What `/api/verify` and `/api/bind` answer, and the page shows. */
export interface OutcomeView {
  /** Unify's `success` as Handset sent it. */
  success: V3UnifyStatusResponse['success'];
  flow: DemoFlow;
  headline: string;
  explanation: string[];
  evaluation: EvaluationView[];
  phoneNumber?: string;
  deviceId?: string;
  proveId?: string;
  /** Set when the demo started its own possession check (see `possession-check.ts`). */
  check?: CheckView;
  /** True when starting again with `rebind: true` would move this device's key to the number. */
  canRebind: boolean;
}

const KEY_MISMATCH = '9101';
const POSSESSION_INCOMPLETE = '9100';

function plainReason(code: string, description: string, success: string): string {
  if (code === KEY_MISMATCH) {
    return "This browser's device key is bound to a different phone number, so it cannot vouch for this one until it is rebound.";
  }
  if (code === POSSESSION_INCOMPLETE) {
    return success === 'possession_required'
      ? 'This browser has no device key bound to this phone number yet, so Handset cannot vouch for it on its own.'
      : 'Possession of the phone number was not proven: the code or the link was not completed in time, or too many wrong codes were entered.';
  }
  return `Reason ${code}: ${description || 'no description given'}`;
}

function evaluationView(status: V3UnifyStatusResponse): EvaluationView[] {
  return Object.entries(status.evaluation ?? {}).map(([category, entry]) => ({
    category,
    result: entry.result === 'pass' ? 'pass' : 'fail',
    reasons: Object.entries(entry.failureReasons ?? {}).map(([code, description]) => ({
      code,
      description,
      plain: plainReason(code, description, status.success),
    })),
  }));
}

function hasReason(status: V3UnifyStatusResponse, code: string): boolean {
  return Object.values(status.evaluation ?? {}).some((entry) => Object.hasOwn(entry.failureReasons ?? {}, code));
}

/** How the answer came about: which flow, which call, and whether rebind was asked for. */
export interface ExplainContext {
  flow: DemoFlow;
  via: 'status' | 'bind';
  rebind?: boolean;
}

function verifiedSentences({ flow, via, rebind }: ExplainContext, number: string): string[] {
  if (via === 'bind') {
    return [
      `The demo's own check proved you hold ${number}, and Handset bound this browser's device key to it (unify-bind).`,
      'Next time this browser checks that number, no code is needed.',
    ];
  }
  if (flow === 'customer') {
    return [`This browser's device key is already bound to ${number}, so no check was needed.`];
  }
  if (flow === 'desktop') {
    return [
      `The phone that holds ${number} opened the Instant Link.`,
      'Instant Link places no device key on a computer: device keys belong to the mobile flows.',
    ];
  }
  return [
    `Possession of ${number} is proven on this browser, and its device key is bound to that number.` +
      (rebind ? ' (Rebind was asked for: had the key belonged to another number, it now belongs to this one.)' : ''),
    'Next time this browser checks that number, it is recognised silently: no text message.',
  ];
}

/**
 * Explains one Handset answer.
 *
 * @example
 * ```ts
 * const view = explain(status, { flow: 'customer', via: 'status' });
 * view.headline; // "Handset needs the demo to check the phone itself."
 * ```
 */
export function explain(status: V3UnifyStatusResponse, context: ExplainContext): OutcomeView {
  const number = status.phoneNumber ? maskPhone(status.phoneNumber) : 'the phone number';
  const view: OutcomeView = {
    success: status.success,
    flow: context.flow,
    headline: '',
    explanation: [],
    evaluation: evaluationView(status),
    canRebind: false,
  };
  if (status.phoneNumber) view.phoneNumber = maskPhone(status.phoneNumber);
  if (status.deviceId) view.deviceId = status.deviceId;
  if (status.proveId) view.proveId = status.proveId;
  switch (status.success) {
    case 'true':
      view.headline = `Verified: you hold ${number}.`;
      view.explanation = verifiedSentences(context, number);
      break;
    case 'false':
      view.headline = 'Not verified.';
      view.explanation = [`Handset could not confirm that you hold ${number}.`, 'Start again to get a new code or link.'];
      break;
    case 'possession_required':
      view.headline = 'Handset needs the demo to check the phone itself.';
      view.canRebind = hasReason(status, KEY_MISMATCH) && context.flow !== 'customer';
      view.explanation = hasReason(status, KEY_MISMATCH)
        ? [
            `This browser's device key belongs to another number, not ${number}.`,
            'The demo proves the new number with its own check and then binds the key to it (unify-bind).' +
              (view.canRebind ? ' Or start again with rebind, and Handset moves the key once its own check passes.' : ''),
          ]
        : [
            `Handset placed a device key on this browser, but nothing has proven yet that you hold ${number}.`,
            'The demo proves it with its own check and then asks Handset to bind the key to the number (unify-bind).',
          ];
      break;
    default:
      view.headline = 'Not finished yet.';
      view.explanation = ['The check is still waiting, for example for the link to be opened. It ends by itself after 15 minutes.'];
  }
  return view;
}
