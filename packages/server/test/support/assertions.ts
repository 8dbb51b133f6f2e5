/**
 * @module assertions
 * Shared checks of the wire rules: error bodies are exactly `{code, message}`, and no body
 * anywhere contains JSON `null`.
 */
import assert from 'node:assert/strict';
import { Value } from 'typebox/value';
import { UnifyResultSchema } from '@handset/protocol';

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

/**
 * A `unify-status` / `unify-bind` reply as the official SDKs accept it (server-api.md §0 S1,
 * §4.4, §13): valid against the protocol package's schema, no `null`, `evaluation` (when present)
 * holds only `authentication` and `risk`, each an object whose `failureReasons` is present exactly
 * when `result` is `fail`, never empty, keyed by four-digit code strings with non-empty texts.
 */
export function assertWireResult(body: unknown): void {
  assert.ok(Value.Check(UnifyResultSchema, body), `UnifyResultSchema: ${JSON.stringify(body)}`);
  assertNoNull(body);
  const evaluation = (body as { evaluation?: Record<string, unknown> }).evaluation;
  if (evaluation === undefined) return;
  assert.ok(Object.keys(evaluation).length > 0, 'an empty evaluation is omitted');
  for (const [category, entry] of Object.entries(evaluation)) {
    assert.ok(['authentication', 'risk'].includes(category), `category ${category}`);
    assert.equal(typeof entry, 'object', `${category} is an object`);
    const { result, failureReasons, ...rest } = entry as { result: string; failureReasons?: Record<string, string> };
    assert.deepEqual(rest, {}, `${category} has only result and failureReasons`);
    assert.equal(failureReasons !== undefined, result === 'fail', `${category}: failureReasons exactly when it failed`);
    for (const [code, text] of Object.entries(failureReasons ?? {})) {
      assert.match(code, /^\d{4}$/, `${category} reason code`);
      assert.ok(typeof text === 'string' && text.length > 0, `${category} reason ${code} has a text`);
    }
    if (failureReasons) assert.ok(Object.keys(failureReasons).length > 0, 'an empty failureReasons is omitted');
  }
}
