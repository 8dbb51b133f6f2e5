/**
 * @module web/app
 * The sign-up page: detects phone or computer with `isMobileWeb()` (as the seed does) and
 * preselects that flow, lets the person pick another (a desktop browser cannot change its user
 * agent, so the choice is offered explicitly), starts the flow through the demo back end, runs
 * `@handset/web` (see `authenticate.ts`), shows the outcome in plain words, and runs the demo's
 * own possession check and bind when Handset answers `possession_required`. "Returning customer —
 * no number" starts customer-supplied possession with no number at all: a browser whose key is
 * bound is recognised silently; any other browser is asked for the number for the demo's check.
 */
import { AuthenticatorBuilder, AuthError, OtpFinishResult, type CancelablePromise } from '@handset/web';
import type { CheckView, DemoFlow, OutcomeView } from '../explain.js';
import { api, DemoApiError } from './api.js';
import { authenticate, type IntegratorSteps } from './authenticate.js';
import { byId, show } from './dom.js';
import { askNumber, askOtp, closePrompts, installPrompts } from './prompts.js';
import { renderInbox, renderOutcome } from './render.js';

const authCheck = new AuthenticatorBuilder().build();
const isMobile = authCheck.isMobileWeb();

interface Run {
  flow: DemoFlow;
  phoneNumber: string;
  authId?: string;
}

let current: Run | null = null;
let running: CancelablePromise<void> | null = null;

function say(message: string): void {
  byId('step-message').textContent = message;
}

function setBusy(busy: boolean): void {
  byId<HTMLButtonElement>('start-button').disabled = busy;
  byId<HTMLButtonElement>('returning-button').disabled = busy;
  show(byId('cancel-button'), busy);
  show(byId('step-card'), busy || byId('step-message').textContent !== '');
  if (!busy) {
    show(byId('link-panel'), false);
    closePrompts();
  }
}

function messageOf(error: unknown): string {
  if (error instanceof DemoApiError) return error.message;
  if (error instanceof AuthError) return `The check stopped: ${error.message}${error.code ? ` (code ${error.code})` : ''}.`;
  return error instanceof Error ? error.message : String(error);
}

async function refreshInbox(): Promise<void> {
  try {
    renderInbox((await api.inbox()).messages);
  } catch {
    // The next poll tries again.
  }
}

async function refreshDevice(): Promise<void> {
  const state = byId('device-state');
  const forget = byId<HTMLButtonElement>('forget-device');
  try {
    const deviceId = (await authCheck.isDeviceRegistered()) ? await authCheck.getDeviceId() : null;
    state.textContent = deviceId
      ? `This browser holds a device key (Prove Key ${deviceId.slice(0, 8)}…).`
      : 'This browser holds no device key yet.';
    forget.disabled = !deviceId;
  } catch (error) {
    state.textContent = `Could not read this browser's device key: ${messageOf(error)}`;
  }
}

function showCheck(check: CheckView): void {
  byId('check-sent-to').textContent = check.sentTo;
  byId('check-error').textContent = '';
  byId<HTMLInputElement>('check-code').value = '';
  show(byId('check-change'), current?.flow === 'returning');
  show(byId('claim-form'), false);
  show(byId('check-form'));
  void refreshInbox();
}

function askClaimedNumber(): void {
  byId('claim-error').textContent = '';
  show(byId('check-form'), false);
  show(byId('claim-form'));
  byId<HTMLInputElement>('claim-phone').focus();
}

function showOutcome(view: OutcomeView): void {
  renderOutcome(view);
  show(byId('check-form'), false);
  show(byId('claim-form'), false);
  if (view.check) showCheck(view.check);
  else if (view.numberNeeded) askClaimedNumber();
  show(byId('rebind-button'), view.canRebind);
  void refreshDevice();
}

/** The integrator's steps the seed wires into the SDK. */
const steps: IntegratorSteps = {
  async verify(authId) {
    if (current) current.authId = authId;
    say('Asking the demo back end for the outcome (unify-status)…');
    const view = await api.verify(authId);
    say('');
    showOutcome(view);
  },
  async otpStart(phoneNumberNeeded, phoneValidationError) {
    if (!phoneNumberNeeded && !phoneValidationError) {
      say('This browser could not be recognised by the carrier, so we are texting you a code…');
      return null;
    }
    say('Which number should we text?');
    const phoneNumber = await askNumber(phoneValidationError ? `That number was not accepted: ${phoneValidationError.message}` : undefined);
    say('Texting you a code…');
    return { phoneNumber };
  },
  async otpFinish(otpError) {
    say('We texted you a code. Enter it below.');
    const answer = await askOtp(otpError ? `That code was not accepted (${otpError.message}). Try again.` : undefined);
    if (answer.kind === 'resend') {
      say('Sending a new code…');
      return OtpFinishResult.onResendOtp();
    }
    if (answer.kind === 'change') return OtpFinishResult.onMobileNumberChange();
    say('Checking the code…');
    return OtpFinishResult.onSuccess(answer.code);
  },
  async instantLink(phoneNumberNeeded, phoneValidationError) {
    if (phoneNumberNeeded || phoneValidationError) {
      say('Which number should we text the link to?');
      return { phoneNumber: await askNumber(phoneValidationError?.message) };
    }
    say('Waiting for you to open the link on your phone…');
    show(byId('link-panel'));
    return null;
  },
};

async function run(flow: DemoFlow, phoneNumber: string, rebind: boolean): Promise<void> {
  current = { flow, phoneNumber };
  show(byId('outcome-card'), false);
  say(rebind ? 'Starting again with rebind…' : 'Starting…');
  setBusy(true);
  try {
    const { authToken } = await api.start(flow === 'returning' ? { flow, rebind: false } : { phoneNumber, flow, rebind });
    say(flow === 'desktop' ? 'Texting a link to your phone…' : 'Checking this browser’s device key…');
    running = authenticate(authToken, flow !== 'desktop', steps);
    await running;
  } catch (error) {
    say(messageOf(error));
  } finally {
    running = null;
    setBusy(false);
    void refreshDevice();
  }
}

function chosenFlow(): DemoFlow {
  const checked = document.querySelector<HTMLInputElement>('input[name="flow"]:checked');
  return (checked?.value as DemoFlow | undefined) ?? (isMobile ? 'mobile' : 'desktop');
}

async function init(): Promise<void> {
  installPrompts();
  byId('detected').textContent = isMobile
    ? 'This browser looks like a phone (isMobileWeb() is true), so the mobile flow is preselected.'
    : 'This browser looks like a computer (isMobileWeb() is false), so the desktop flow is preselected. ' +
      'You can still pick the mobile or customer-supplied flow to try them here.';
  const preselected = document.querySelector<HTMLInputElement>(`input[name="flow"][value="${isMobile ? 'mobile' : 'desktop'}"]`);
  if (preselected) preselected.checked = true;

  byId<HTMLFormElement>('start-form').addEventListener('submit', (event) => {
    event.preventDefault();
    if (running) return;
    void run(chosenFlow(), byId<HTMLInputElement>('phone').value, byId<HTMLInputElement>('rebind').checked);
  });
  byId('returning-button').addEventListener('click', () => {
    if (!running) void run('returning', '', false);
  });
  byId('cancel-button').addEventListener('click', () => {
    say('Cancelled.');
    running?.cancel();
  });
  byId('rebind-button').addEventListener('click', () => {
    if (current && !running) void run(current.flow, current.phoneNumber, true);
  });
  byId('again-button').addEventListener('click', () => {
    show(byId('outcome-card'), false);
    say('');
    show(byId('step-card'), false);
    byId<HTMLInputElement>('phone').focus();
  });
  byId<HTMLFormElement>('check-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const authId = current?.authId;
    const code = byId<HTMLInputElement>('check-code').value.trim();
    if (!authId || !code) return;
    api.bind(authId, code).then(showOutcome, (error: unknown) => {
      byId('check-error').textContent = messageOf(error);
    });
  });
  byId<HTMLFormElement>('claim-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const authId = current?.authId;
    const phoneNumber = byId<HTMLInputElement>('claim-phone').value.trim();
    if (!authId || !phoneNumber) return;
    api.startCheck(authId, phoneNumber).then(showCheck, (error: unknown) => {
      byId('claim-error').textContent = messageOf(error);
    });
  });
  byId('check-change').addEventListener('click', askClaimedNumber);
  byId('check-resend').addEventListener('click', () => {
    const authId = current?.authId;
    if (!authId) return;
    api.resendCheck(authId).then(
      (check) => {
        byId('check-error').textContent = `A new code went to ${check.sentTo}: see the demo inbox.`;
        void refreshInbox();
      },
      (error: unknown) => {
        byId('check-error').textContent = messageOf(error);
      },
    );
  });
  byId('forget-device').addEventListener('click', () => {
    authCheck
      .unregisterDevice()
      .catch(() => authCheck.resetDeviceSettings())
      .then(refreshDevice, refreshDevice);
  });

  try {
    const config = await api.config();
    for (const link of document.querySelectorAll<HTMLAnchorElement>('a.outbox-link')) link.href = config.outboxUrl;
    if (config.mobileAuthNumber) {
      byId('number-hint').textContent =
        `Try ${config.mobileAuthNumber} in the mobile flow: the development carrier recognises it, so no text is needed. ` +
        'Any other number gets a texted code or link, which you read in the SMS outbox.';
    }
  } catch (error) {
    say(messageOf(error));
    show(byId('step-card'));
  }
  await Promise.all([refreshInbox(), refreshDevice()]);
  setInterval(() => {
    if (document.visibilityState === 'visible') void refreshInbox();
  }, 2000);
  document.body.dataset.ready = 'true';
}

void init();
