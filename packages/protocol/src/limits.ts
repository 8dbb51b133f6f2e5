/**
 * @module limits
 * Field limits, lifetimes and sizes that are part of the wire contract
 * (`server-api.md` §1, §3.1, §12). Plain constants with no runtime dependency,
 * so the browser SDK can import them too.
 */

/** Largest request body accepted on any endpoint, in bytes ("valid JSON under 4 KB"). */
export const MAX_BODY_BYTES = 4096;

/** Lifetime of a `/token` access token, in seconds (decision S3). */
export const ACCESS_TOKEN_TTL_SECONDS = 3600;

/** Lifetime of a Unify session and its authToken, in seconds (decision S4). */
export const SESSION_TTL_SECONDS = 15 * 60;

/** Validity of an SMS one-time code from sending, in seconds (decision S5). */
export const OTP_TTL_SECONDS = 2 * 60;

/** Default validity of an Instant Link from sending, in seconds (decision S6). */
export const INSTANT_LINK_TTL_SECONDS = 5 * 60;

/** How long a terminal outcome stays readable through `unify-status`, in seconds (default). */
export const OUTCOME_RETENTION_SECONDS = 24 * 60 * 60;

/** A Prove Key is deactivated after this long without use, in seconds (12 months). */
export const DEVICE_KEY_INACTIVITY_SECONDS = 365 * 24 * 60 * 60;

/** Lifetime of a request-signing challenge from `POST /v1/client/challenge`, in seconds (decision C6). */
export const CHALLENGE_TTL_SECONDS = 300;

/** Wrong-code re-entries allowed when `allowOTPRetry` is true ("up to three times"). */
export const OTP_RETRIES_WHEN_ALLOWED = 3;

/** OTP resends allowed in one session. */
export const OTP_MAX_RESENDS = 3;

/** Instant Link resends allowed in one session. */
export const INSTANT_LINK_MAX_RESENDS = 3;

/** Field limits of `POST /v3/unify` (`server-api.md` §3.1, §12). */
export const FIELD_LIMITS = {
  smsMessage: 160,
  finalTargetUrl: 128,
  phoneNumber: 20,
  identifier: 128,
  emailAddress: 254,
  ipAddress: 45,
} as const;
