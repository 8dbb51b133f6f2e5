// The integrator's page code, shared by app.html (ESM import) and app-script.html (<script> global).
// `setupApp` receives the SDK's names; everything else is ordinary integrator code: a back end
// reached with fetch, DOM forms for the OTP and Instant Link callbacks, and Prove's snippet verbatim.
window.setupApp = function setupApp({ AuthenticatorBuilder, OtpFinishResult }) {
  const $ = (id) => document.getElementById(id);
  window.calls = [];
  window.flow = { state: 'idle' };

  async function backend(path, body) {
    const response = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const json = await response.json();
    if (!response.ok) throw new Error(`${path}: ${json.message}`);
    return json;
  }

  async function verify(authId) {
    window.calls.push({ kind: 'finish', authId });
    const result = await backend('/api/verify', { authId });
    window.verified = { authId, ...result };
    $('result').textContent = JSON.stringify(window.verified);
    return result;
  }

  // Shows a form and resolves with the id of the button pressed.
  function ask(formId, errorId, errorText) {
    const form = $(formId);
    $(errorId).textContent = errorText ?? '';
    form.hidden = false;
    return new Promise((resolve) => {
      form.onclick = (event) => {
        if (event.target.tagName !== 'BUTTON') return;
        form.hidden = true;
        form.onclick = null;
        resolve(event.target.id);
      };
    });
  }

  async function askPhone(phoneNumberNeeded, phoneValidationError) {
    if (!phoneNumberNeeded) return null;
    await ask('phone-form', 'phone-error', phoneValidationError?.message);
    return { phoneNumber: $('phone').value };
  }

  // The OTP start step as an object with `execute`, the finish step as a function: integrators write both.
  const otpStart = {
    execute: async (phoneNumberNeeded, phoneValidationError) => {
      window.calls.push({ kind: 'otpStart', phoneNumberNeeded, error: phoneValidationError?.message ?? null, code: phoneValidationError?.code ?? null });
      return askPhone(phoneNumberNeeded, phoneValidationError);
    },
  };
  const otpFinish = async (otpError) => {
    window.calls.push({ kind: 'otpFinish', error: otpError?.message ?? null, code: otpError?.code ?? null });
    const button = await ask('otp-form', 'otp-error', otpError?.message);
    if (button === 'otp-resend') return OtpFinishResult.onResendOtp();
    if (button === 'otp-change') return OtpFinishResult.onMobileNumberChange();
    const otp = $('otp').value;
    $('otp').value = '';
    return { resultType: 0, input: { otp } };
  };
  const instantLink = async (phoneNumberNeeded, phoneValidationError) => {
    window.calls.push({ kind: 'instantLink', phoneNumberNeeded });
    return askPhone(phoneNumberNeeded, phoneValidationError);
  };

  // Prove's integration snippet, unchanged but for the Mobile Auth implementation a test may pick
  // (window.mobileAuthImplementation, default "fetch" as in the snippet).
  async function integratorFlow(authToken) {
    const authCheck = new AuthenticatorBuilder().build();
    const isMobile = authCheck.isMobileWeb();
    let builder = new AuthenticatorBuilder();
    if (isMobile) {
      builder = builder.withAuthFinishStep((input) => verify(input.authId))
        .withMobileAuthImplementation(window.mobileAuthImplementation ?? "fetch")
        .withOtpFallback(otpStart, otpFinish);
    } else {
      builder = builder.withAuthFinishStep((input) => verify(input.authId))
        .withInstantLinkFallback(instantLink)
        .withRole("secondary");
    }
    await builder.build().authenticate(authToken);
  }

  function track(promise) {
    window.flow = { state: 'running' };
    promise.then(
      () => { window.flow = { state: 'resolved' }; },
      (error) => { window.flow = { state: 'rejected', name: error?.name, code: error?.code, message: String(error?.message ?? error) }; },
    );
  }

  /** Starts a session at the back end and runs the integrator's flow. */
  window.startFlow = (startBody) => {
    track(backend('/api/start', startBody).then(({ authToken }) => integratorFlow(authToken)));
  };

  /** Same flow through a kept authenticate() promise, so a test can cancel it. */
  window.startCancelable = (startBody) => {
    track(
      backend('/api/start', startBody).then(({ authToken }) => {
        const builder = new AuthenticatorBuilder()
          .withAuthFinishStep((input) => verify(input.authId))
          .withInstantLinkFallback(instantLink)
          .withRole('secondary');
        window.running = builder.build().authenticate(authToken);
        return window.running;
      }),
    );
  };

  /** The device-management surface, for the tests. */
  window.device = {
    authenticator: () => new AuthenticatorBuilder().build(),
    isRegistered: () => window.device.authenticator().isDeviceRegistered(),
    deviceId: () => window.device.authenticator().getDeviceId(),
    unregister: () => window.device.authenticator().unregisterDevice().then(() => 'ok', (e) => ({ name: e.name, code: e.code, message: e.message })),
    reset: () => window.device.authenticator().resetDeviceSettings(),
  };
};
