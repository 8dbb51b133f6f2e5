/**
 * @module assertions
 * Shared checks of the wire rules: error bodies are exactly `{code, message}`, and no body
 * anywhere contains JSON `null`.
 */
import assert from 'node:assert/strict';

export function assertNoNull(value: unknown, path = 'body'): void {
  assert.notEqual(value, null, `${path} is null`);
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) assertNoNull(v, `${path}.${k}`);
  }
}

export function assertErrorBody(body: unknown, code: number, messagePattern?: RegExp): void {
  assert.equal(typeof body, 'object');
  const b = body as Record<string, unknown>;
  assert.deepEqual(Object.keys(b).sort(), ['code', 'message'], `error body is {code, message}: ${JSON.stringify(b)}`);
  assert.equal(b.code, code, `code of ${JSON.stringify(b)}`);
  assert.equal(typeof b.message, 'string');
  if (messagePattern) assert.match(b.message as string, messagePattern);
}
