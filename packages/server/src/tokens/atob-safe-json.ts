/**
 * @module atob-safe-json
 * JSON whose base64url encoding never contains `-` or `_` (decision C2): ASCII only, with `>`,
 * `?`, `~`, DEL and every non-ASCII character written as `\uXXXX`. Prove's Web SDK decodes the
 * authToken payload with the browser's `atob()`, which rejects those two characters.
 */

const UNSAFE = /[>?~\u007f-\uffff]/g;

export function atobSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
