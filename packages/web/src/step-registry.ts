/**
 * @module step-registry
 * Which step names an authenticator understands, by role (`client-protocol.md` §2.2). Primary:
 * the Prove Key (`device/passive`, `device/passive/silent`), Mobile Auth, OTP and Instant Link.
 * Secondary: `device/passive` means "wait on the status socket", plus Mobile Auth and Instant Link.
 * WebAuthn (`device/fido2`), universal keys, redirects, scan messages, PPB and DocV are not
 * implemented, so those names are unknown steps.
 */
import { Step } from '@handset/protocol/browser';
import type { AuthenticatorConfig } from './config.js';
import type { StepRegistry } from './flow.js';
import { instantLinkStep, secondaryWaitStep } from './steps/instant-link.js';
import { mobileInstantStep } from './steps/mobile-instant.js';
import { mobileOtpStep } from './steps/mobile-otp.js';
import { proveKeyStep } from './steps/prove-key.js';

/** The step registry for `config.role`. */
export function stepRegistry(config: AuthenticatorConfig): StepRegistry {
  if (config.role === 'secondary') {
    return {
      [Step.DEVICE_PASSIVE]: secondaryWaitStep,
      [Step.MOBILE_INSTANT]: mobileInstantStep,
      [Step.MOBILE_INSTANTLINK]: instantLinkStep,
    };
  }
  return {
    [Step.DEVICE_PASSIVE]: proveKeyStep,
    [Step.DEVICE_PASSIVE_SILENT]: proveKeyStep,
    [Step.MOBILE_INSTANT]: mobileInstantStep,
    [Step.MOBILE_INSTANTLINK]: instantLinkStep,
    [Step.MOBILE_OTP]: mobileOtpStep,
  };
}
