/**
 * @module handset
 * The SDK entry point, `new Handset(options)`.
 */
import { Client } from './client.js';
import { resolveOptions, type HandsetOptions } from './options.js';
import { V3 } from './v3.js';

/**
 * A client of one Handset server, for one OAuth client. Create one per process and share it: it
 * caches the access token (one `/token` call serves every API call until 60 s before expiry),
 * refreshes it with a single request however many calls are waiting, and retries a call once with
 * a fresh token when the server answers 401.
 *
 * Migrating from Prove's TypeScript SDK: replace the import and pass `serverURL`; method names,
 * per-call options (`retries`, `timeoutMs`) and the response wrappers (`res.v3UnifyResponse`, …)
 * are the same, and `security: { clientID, clientSecret }` and `retryConfig` are accepted.
 *
 * @example
 * ```ts
 * import { Handset } from '@handset/node';
 *
 * const handset = new Handset({
 *   serverURL: 'https://handset.example.com',
 *   clientId: process.env.HANDSET_CLIENT_ID!,
 *   clientSecret: process.env.HANDSET_CLIENT_SECRET!,
 *   retry: { strategy: 'backoff' },
 * });
 *
 * const res = await handset.v3.v3UnifyRequest({
 *   possessionType: 'mobile',
 *   clientRequestId: crypto.randomUUID(),
 *   phoneNumber: '2001004017',
 * });
 * const authToken = res.v3UnifyResponse?.authToken; // hand to @handset/web
 * ```
 */
export class Handset {
  /** The server API operations: `v3TokenRequest`, `v3UnifyRequest`, `v3UnifyStatusRequest`, `v3UnifyBindRequest`, `v3DeviceRevokeRequest`. */
  readonly v3: V3;

  /** Validates `options` (throws `TypeError` on bad ones) and sends nothing yet. */
  constructor(options: HandsetOptions) {
    this.v3 = new V3(new Client(resolveOptions(options)));
  }
}
