/**
 * @module errors
 * The one table of error codes the platform puts on the wire.
 *
 * Server API (`/token`, `/v3/*`) errors are HTTP errors with the body `{code, message}`
 * (`server-api.md` §8). Client protocol (`/v1/client/*`) errors are either HTTP errors
 * with the same body (malformed or unauthenticated calls, decision C7) or an `error`
 * object inside an HTTP 200 envelope (business outcomes). No other shape exists.
 */

/** The body of every error response: `{code, message}`. */
export interface ErrorBody {
  code: number;
  message: string;
}

/**
 * Server API error codes with their HTTP status. Stable names so code can `switch` on them;
 * the numbers are Prove's (`server-api.md` §8.4).
 */
export const ApiError = {
  /** 8000: an unexpected failure; safe to retry. */
  INTERNAL: { code: 8000, status: 500 },
  /** 8001: not valid JSON, body of 4 KB or more, or a missing or invalid field (the message names it). */
  MALFORMED_REQUEST: { code: 8001, status: 400 },
  /** 8002: bad, missing or expired credentials or bearer token. */
  UNAUTHORIZED: { code: 8002, status: 401 },
  /** 8003: the step is not allowed in the session's current state. */
  STEP_NOT_ALLOWED: { code: 8003, status: 403 },
  /** 8007: sandbox mode accepts only the documented test users. */
  SANDBOX_USER_NOT_FOUND: { code: 8007, status: 400 },
  /** 8008: the correlationId is unknown to this client, or its session has been purged. */
  INVALID_CORRELATION_ID: { code: 8008, status: 400 },
  /** 8011: the deviceId is unknown to this client (revoking an already revoked key succeeds), or no such route. */
  NOT_FOUND: { code: 8011, status: 404 },
  /** 8012: too many requests; see `Retry-After`. */
  RATE_LIMITED: { code: 8012, status: 429 },
  /** 8013: the platform cannot reach its database; retry later. */
  UNAVAILABLE: { code: 8013, status: 503 },
} as const satisfies Record<string, { code: number; status: number }>;

/** A name of {@link ApiError}. */
export type ApiErrorName = keyof typeof ApiError;

/**
 * Codes inside the client protocol's `error` object and in the browser SDK's errors
 * (`client-protocol.md` §7). 10006 tells the SDK to wipe its local Prove Key.
 */
export const ClientErrorCode = {
  AUTHENTICATION_FAILURE: 10000,
  AUTHENTICATION_EXTERNAL_FAILURE: 10001,
  AUTHENTICATION_CLIENT_FAILURE: 10002,
  AUTHENTICATION_PROHIBITED_ACTION: 10003,
  MISSING_AUTHENTICATOR_COMPLETION: 10004,
  MAX_ATTEMPTS: 10005,
  NO_DEVICE_FOUND: 10006,
} as const;

/**
 * Codes in the `data` object of OTP and Instant Link validation replies. The SDK shows them as
 * `"Error Code: <code>, <message>"` and asks the user again.
 */
export const ValidationCode = {
  /** The code entered was wrong; the user may try again. */
  INVALID_OTP: 1,
  /** The phone number entered cannot be a phone number. */
  INVALID_PHONE_NUMBER: 2,
  /** The code has expired; the user should ask for a new one. */
  OTP_EXPIRED: 3,
  /** Every message the session may send on this channel has gone out: nothing was sent, nothing changed. */
  TOO_MANY_MESSAGES: 4,
} as const;

/** Global Fraud Policy reason codes the platform emits (`server-api.md` §13.1). */
export const FailureReason = {
  /** Phone possession incomplete. */
  POSSESSION_INCOMPLETE: '9100',
  /** Phone number doesn't match Prove Key. Rebind required. */
  PHONE_KEY_MISMATCH: '9101',
  /**
   * Handset's own (9800-9899, docs/decisions.md): the text that carried the proof could not be
   * delivered (the provider refused it for good, or every attempt failed).
   */
  MESSAGE_UNDELIVERABLE: '9801',
} as const;

/** The texts that go with {@link FailureReason} codes. */
export const FAILURE_REASON_TEXT: Readonly<Record<string, string>> = {
  '9100': 'Phone possession incomplete.',
  '9101': "Phone number doesn't match Prove Key. Rebind required.",
  '9801': 'The text could not be delivered to the phone number.',
  // Reasons of the fraud policy (docs/fraud-policy.md "Reason codes"): Prove's where one exists…
  '9131': 'Non-mobile line.',
  '9134': 'Non-fixed VoIP.',
  // …and Handset's own, 9800-9899 (docs/decisions.md E2).
  '9802': "The number's line type takes no verification texts (premium rate or shared cost).",
  '9803': "The number's country is not allowed.",
  '9804': 'Too many texts to this number.',
  '9805': 'Too many texts to this number range.',
  '9806': 'Too many texts for this client, address or country.',
  '9807': 'Too many verification attempts for this number or device.',
  '9808': "The client's daily SMS budget is spent.",
  '9809': "The deployment's daily SMS budget is spent.",
  '9810': 'Texts to this number range are almost never used.',
  '9811': 'Too many numbers for one device.',
  '9812': 'Too many changes of number in this session.',
};

/** The text of a reason code a policy uses that {@link FAILURE_REASON_TEXT} does not know. */
export const POLICY_REASON_TEXT = 'A rule of the fraud policy fired.';
