/**
 * @module web/render
 * Draws what the back end explained: the outcome card (headline, plain-words explanation, the
 * evaluation with its reasons, the facts) and the demo inbox.
 */
import type { InboxMessage } from '../demo-inbox.js';
import type { OutcomeView } from '../explain.js';
import { byId, el, fill, show } from './dom.js';

function short(id: string): string {
  return id.length > 13 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}

/** Fills the outcome card from a view. */
export function renderOutcome(view: OutcomeView): void {
  const card = byId('outcome-card');
  card.dataset.success = view.success;
  byId('outcome-headline').textContent = view.headline;
  fill(byId('outcome-explanation'), view.explanation.map((sentence) => el('p', sentence)));
  fill(
    byId('evaluation'),
    view.evaluation.length === 0
      ? [el('li', 'No evaluation yet.')]
      : view.evaluation.map((entry) => {
          const item = el('li');
          item.append(el('strong', `${entry.category}: ${entry.result === 'pass' ? 'passed' : 'failed'}`, entry.result));
          if (entry.reasons.length > 0) {
            const reasons = el('ul');
            for (const reason of entry.reasons) {
              const line = el('li', `${reason.plain} `);
              line.append(el('small', `(code ${reason.code}; Handset says: “${reason.description}”)`));
              reasons.append(line);
            }
            item.append(reasons);
          }
          return item;
        }),
  );
  const facts: HTMLElement[] = [];
  const fact = (term: string, value: string | undefined): void => {
    if (!value) return;
    facts.push(el('dt', term), el('dd', value));
  };
  fact('Phone number', view.phoneNumber);
  fact('Device ID (Prove Key)', view.deviceId && short(view.deviceId));
  fact('Prove ID', view.proveId && short(view.proveId));
  fact('Handset status', `success = "${view.success}"`);
  fill(byId('outcome-facts'), facts);
  show(card);
}

/** Fills the demo inbox list. */
export function renderInbox(messages: InboxMessage[]): void {
  fill(
    byId('inbox-messages'),
    messages.length === 0
      ? [el('li', 'No messages yet.', 'empty')]
      : messages.map((m) => {
          const item = el('li');
          item.append(el('small', `${new Date(m.sentAt).toLocaleTimeString()} · to ${m.to}`), el('p', m.body));
          return item;
        }),
  );
}
