/**
 * @module sms-templates
 * The SMS texts of OTP and Instant Link, from the integrator's `smsMessage` or the defaults
 * (`server-api.md` §3.4).
 */

export const DEFAULT_OTP_TEMPLATE =
  "#### is your temporary code to continue your application. Caution: for your security, don't share this code with anyone.";
export const DEFAULT_LINK_TEMPLATE =
  'Complete your verification. If you did not make this request, do not click the link. ####';

/** The OTP length a template asks for (4–6 `#`), or null when it has no valid placeholder. */
export function otpLength(template: string): number | null {
  const runs = template.match(/#+/g) ?? [];
  const placeholders = runs.filter((r) => r.length >= 4);
  if (placeholders.length !== 1 || placeholders[0]!.length > 6) return null;
  return placeholders[0]!.length;
}

/** True when a template can carry an Instant Link. */
export function hasLinkPlaceholder(template: string): boolean {
  return template.includes('####');
}

export function renderOtp(template: string, code: string): string {
  return template.replace(/#{4,6}/, code);
}

export function renderLink(template: string, url: string): string {
  return template.replace(/#{4,}/, url);
}
