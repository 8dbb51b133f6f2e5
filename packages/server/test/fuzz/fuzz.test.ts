/**
 * The CI slice of the fuzz run (issue 9): the first 2,000 requests of the fixed seed against a
 * live server. No 5xx, and every error answer `{code, message}` (the Instant Link page's HTML
 * 404/410 excepted, see docs/errors.md). `npm run fuzz` runs the full 20,000.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { fuzzContext, describeProblems, runFuzz } from './runner.js';
import { fuzzRequests } from './generator.js';
import { FUZZ_SEED } from './seed.js';

describe('fuzz: 2,000 odd requests', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('the generator is deterministic: a seed gives the same bytes, and a short run is the start of a long one', async () => {
    const context = await fuzzContext(server);
    const short = fuzzRequests(context, FUZZ_SEED, 50).map((r) => r.bytes.toString('base64'));
    const long = fuzzRequests(context, FUZZ_SEED, 80).map((r) => r.bytes.toString('base64'));
    assert.deepEqual(long.slice(0, 50), short);
    assert.notDeepEqual(fuzzRequests(context, FUZZ_SEED + 1, 50).map((r) => r.bytes.toString('base64')), short);
  });

  it('yields no 5xx and only {code, message} errors', async () => {
    const report = await runFuzz(server, { seed: FUZZ_SEED, count: 2_000 });
    assert.equal(report.requests, 2_000);
    assert.deepEqual(report.problems.map((p) => p.problem), [], describeProblems(report));
    assert.equal(Object.keys(report.statuses).filter((s) => s.startsWith('5')).length, 0);
    assert.equal(report.errorShapeOk + report.htmlPages, report.errors, 'every error is {code, message} or the Instant Link page');
    // The slice reaches the handlers, not only the parser: successes and refusals of every kind.
    for (const status of ['200', '400', '401', '404', '405', '431']) assert.ok((report.statuses[status] ?? 0) > 0, `some ${status} answers: ${JSON.stringify(report.statuses)}`);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'the server still serves');
  });
});
