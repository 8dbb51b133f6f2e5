/**
 * @module version
 * The SDK version, sent in the `User-Agent` header. A test keeps it equal to package.json.
 */

/**
 * The version of `@handset/node`.
 *
 * @example
 * ```ts
 * import { SDK_VERSION } from '@handset/node';
 * console.log(`using @handset/node ${SDK_VERSION}`);
 * ```
 */
export const SDK_VERSION = '0.1.0';

/** The `User-Agent` the SDK sends. */
export const USER_AGENT = `handset-node/${SDK_VERSION}`;
