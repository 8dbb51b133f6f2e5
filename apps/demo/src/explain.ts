/**
 * @module explain
 * Turns a `unify-status` / `unify-bind` answer into plain words for the person at the page: a
 * headline, a few sentences on what happened and what comes next, and the Global Fraud Policy
 * `evaluation` with each failure reason explained. Also the shape the front end renders
 * ({@link OutcomeView}); it imports that as a type only.
 */
import type { V3UnifyStatusResponse } from '@handset/node';
import { maskPhone } from './phone.js';

/**
 * The ways the demo checks a phone number: the three possession types with a typed number, and
 * `returning` (customer-supplied, `possessionType: none`, with no number at all: the browser's
 * Prove Key, if bound, names it).
 */
export type DemoFlow = 'mobile' | 'desktop' | 'customer' | 'returning';

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
  /**
   * Set when Handset needs the demo's own check but the flow has no number yet (a returning
   * customer on a browser whose key is bound to nothing): the page asks the person for it.
   */
  numberNeeded?: boolean;
  /** True when starting again with `rebind: true` would move this device's key to the number. */
  canRebind: boolean;
}

const KEY_MISMATCH = '9101';
const POSSESSION_INCOMPLETE = '9100';

function plainReason(code: string, description: string, success: string, withoutNumber: boolean): string {
  if (code === KEY_MISMATCH) {
    return "This browser's device key is bound to a different phone number, so it cannot vouch for this one until it is rebound.";
  }
  if (code === POSSESSION_INCOMPLETE) {
    if (success !== 'possession_required') {
      return 'Possession of the phone number was not proven: the code or the link was not completed in time, or too many wrong codes were entered.';
    }
    return withoutNumber
      ? 'This browser has no device key bound to any phone number yet, so Handset cannot tell whose phone this is on its own.'
      : 'This browser has no device key bound to this phone number yet, so Handset cannot vouch for it on its own.';
  }
  return `Reason ${code}: ${description || 'no description given'}`;
}

function evaluationView(status: V3UnifyStatusResponse, withoutNumber: boolean): EvaluationView[] {
  return Object.entries(status.evaluation ?? {}).map(([category, entry]) => ({
    category,
    result: entry.result === 'pass' ? 'pass' : 'fail',
    reasons: Object.entries(entry.failureReasons ?? {}).map(([code, description]) => ({
      code,
      description,
      plain: plainReason(code, description, status.success, withoutNumber),
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
      flow === 'returning'
        ? 'Next time, "Returning customer" recognises this browser with nothing typed and no code.'
        : 'Next time this browser checks that number, no code is needed.',
    ];
  }
  if (flow === 'returning') {
    return [
      `You typed no number. This browser's device key is bound to ${number}, so Handset recognised the number from the key alone.`,
      'No code and no text message were needed.',
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
  const withoutNumber = context.flow === 'returning' && !status.phoneNumber;
  const view: OutcomeView = {
    success: status.success,
    flow: context.flow,
    headline: '',
    explanation: [],
    evaluation: evaluationView(status, withoutNumber),
    canRebind: false,
  };
  if (status.phoneNumber) view.phoneNumber = maskPhone(status.phoneNumber);
  if (status.deviceId) view.deviceId = status.deviceId;
  if (status.proveId) view.proveId = status.proveId;
  switch (status.success) {
    case 'true':
      view.headline =
        context.flow === 'returning' && context.via === 'status' ? `Welcome back: recognised as ${number}.` : `Verified: you hold ${number}.`;
      view.explanation = verifiedSentences(context, number);
      break;
    case 'false':
      view.headline = 'Not verified.';
      view.explanation = [`Handset could not confirm that you hold ${number}.`, 'Start again to get a new code or link.'];
      break;
    case 'possession_required':
      view.headline = 'Handset needs the demo to check the phone itself.';
      view.canRebind = hasReason(status, KEY_MISMATCH) && context.flow !== 'customer' && context.flow !== 'returning';
      view.explanation = withoutNumber
        ? [
            'You typed no number, and this browser has no device key bound to one yet, so Handset cannot recognise you.',
            "Tell the demo your number: it proves you hold it with its own check (a code in the Demo inbox), then asks Handset to bind this browser's key to it (unify-bind). After that, nothing needs typing.",
          ]
        : hasReason(status, KEY_MISMATCH)
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
