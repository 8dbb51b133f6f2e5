/**
 * @module web/authenticate
 * The integration code of Prove's pre-fill guide, as the seed gives it, with `@handset/web`:
 * on a phone, Mobile Auth with SMS OTP as fallback; on a computer, Instant Link in the secondary
 * role. Either way the finish step asks the back end for the outcome (`verify(authId)`).
 * Only the names differ from the seed: the steps come in as `steps`, and the running promise is
 * returned so the page can offer Cancel.
 */
import {
  AuthenticatorBuilder,
  type CancelablePromise,
  type InstantLinkStartStep,
  type OtpFinishStep,
  type OtpStartStep,
} from '@handset/web';

/** The integrator's callbacks the seed wires in. */
export interface IntegratorSteps {
  verify(authId: string): Promise<unknown>;
  otpStart: OtpStartStep;
  otpFinish: OtpFinishStep;
  instantLink: InstantLinkStartStep;
}

/** Runs the flow `authToken` starts, as a phone (`isMobile`) or as a computer. */
export function authenticate(authToken: string, isMobile: boolean, steps: IntegratorSteps): CancelablePromise<void> {
  const { verify, otpStart, otpFinish, instantLink } = steps;
  let builder = new AuthenticatorBuilder();
  if (isMobile) {
    builder = builder.withAuthFinishStep((input) => verify(input.authId))
      .withMobileAuthImplementation("fetch")
      .withOtpFallback(otpStart, otpFinish);
  } else {
    builder = builder.withAuthFinishStep((input) => verify(input.authId))
      .withInstantLinkFallback(instantLink)
      .withRole("secondary");
  }
  return builder.build().authenticate(authToken);
}
