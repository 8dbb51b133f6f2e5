/**
 * What every provider contract test does around its cases: the fake started once for the file,
 * its records and a fresh log before each case, and the closing check that every request was the
 * one the real API documents and that no secret or full number reached a log line or an error.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach } from 'node:test';
import { LogRecorder } from './callback-receiver.js';
import type { FakeHttpServer } from './fake-http.js';

/** Registers the fake's hooks; `onLog` receives each case's fresh log recorder. */
export function runFakePerFile<O extends string>(fake: FakeHttpServer<O>, onLog: (log: LogRecorder) => void): void {
  before(() => fake.start());
  after(() => fake.stop());
  beforeEach(() => {
    onLog(new LogRecorder());
    fake.requests.length = 0;
    fake.violations.length = 0;
  });
}

/** No contract violation at the fake; none of `leaks` in the log or in `errors`' messages and stacks. */
export function assertCleanRun<O extends string>(fake: FakeHttpServer<O>, log: LogRecorder, leaks: Record<string, string>, errors: unknown[] = []): void {
  assert.deepEqual(fake.violations, []);
  for (const text of [log.text, ...errors.map((e) => String((e as Error).message) + String((e as Error).stack))]) {
    for (const [what, value] of Object.entries(leaks)) assert.ok(!text.includes(value), `${what} leaked`);
  }
}
