/**
 * @module web/instant-link-done
 * The page an Instant Link lands on, on the phone (`finalTargetUrl?authId=…&asc=true`): the SDK's
 * `finishInstantLink` reads the URL and calls the finish step, which asks the back end for the
 * outcome. The authId is then removed from the address bar.
 */
import { AuthenticatorBuilder } from '@handset/web';
import { api } from './api.js';
import { byId, el, fill } from './dom.js';

async function verify(authId: string): Promise<void> {
  const view = await api.verify(authId);
  const verified = view.success === 'true';
  byId('result').dataset.success = view.success;
  byId('headline').textContent = verified ? 'Your phone number is verified.' : view.headline;
  fill(
    byId('explanation'),
    (verified ? ['You can close this tab and continue on your computer.'] : view.explanation).map((s) => el('p', s)),
  );
}

async function main(): Promise<void> {
  const authenticator = new AuthenticatorBuilder().withAuthFinishStep((input) => verify(input.authId)).build();
  try {
    await authenticator.finishInstantLink(window.location.href);
  } catch (error) {
    byId('result').dataset.success = 'error';
    byId('headline').textContent = 'This link could not be completed.';
    fill(byId('explanation'), [
      el('p', error instanceof Error ? error.message : String(error)),
      el('p', 'Open the link from the text message (in development: from the SMS outbox), or start again on your computer.'),
    ]);
  } finally {
    history.replaceState(null, '', '/instant-link-done');
    document.body.dataset.ready = 'true';
  }
}

void main();
