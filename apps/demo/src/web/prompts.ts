/**
 * @module web/prompts
 * The questions the flow asks the person while the SDK waits: the texted code (with "send a new
 * code" and "use another number"), and a phone number when the platform needs one. Each question
 * resolves when the person answers; asking again replaces a question still open.
 */
import { byId, show } from './dom.js';

/** What the person did on the code screen. */
export type OtpAnswer = { kind: 'code'; code: string } | { kind: 'resend' } | { kind: 'change' };

let answerOtp: ((answer: OtpAnswer) => void) | null = null;
let answerNumber: ((phoneNumber: string) => void) | null = null;

/** Wires the forms once, when the page loads. */
export function installPrompts(): void {
  const otpForm = byId<HTMLFormElement>('otp-form');
  const otpInput = byId<HTMLInputElement>('otp');
  otpForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const code = otpInput.value.trim();
    if (code) answerOtp?.({ kind: 'code', code });
  });
  byId('otp-resend').addEventListener('click', () => answerOtp?.({ kind: 'resend' }));
  byId('otp-change').addEventListener('click', () => answerOtp?.({ kind: 'change' }));
  const numberForm = byId<HTMLFormElement>('number-form');
  numberForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = byId<HTMLInputElement>('new-phone').value.trim();
    if (value) answerNumber?.(value);
  });
}

/** Shows the code screen (with `error` after a rejected code) and waits for the person. */
export function askOtp(error?: string): Promise<OtpAnswer> {
  const form = byId<HTMLFormElement>('otp-form');
  const input = byId<HTMLInputElement>('otp');
  byId('otp-error').textContent = error ?? '';
  input.value = '';
  show(form);
  input.focus();
  return new Promise((resolve) => {
    answerOtp = (answer) => {
      answerOtp = null;
      show(form, false);
      resolve(answer);
    };
  });
}

/** Asks for a phone number (with `error` after a rejected one) and waits for the person. */
export function askNumber(error?: string): Promise<string> {
  const form = byId<HTMLFormElement>('number-form');
  const input = byId<HTMLInputElement>('new-phone');
  byId('number-error').textContent = error ?? '';
  show(form);
  input.focus();
  return new Promise((resolve) => {
    answerNumber = (phoneNumber) => {
      answerNumber = null;
      show(form, false);
      resolve(phoneNumber);
    };
  });
}

/** Closes any open question (the flow ended or was cancelled). */
export function closePrompts(): void {
  answerOtp = null;
  answerNumber = null;
  show(byId('otp-form'), false);
  show(byId('number-form'), false);
}
