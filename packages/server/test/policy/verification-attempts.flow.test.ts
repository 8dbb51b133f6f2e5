/**
 * Brute force by opening new sessions, played over a socket (SQLite and PostgreSQL passes): one
 * number, many sessions, a wrong code in each. A `fail` rule at `verify` over verification
 * attempts per number counts every check across sessions; past the cap a check fails its session
 * with the rule's reason without comparing the code, so even the right code no longer works for
 * that number, while another number is unaffected. Each refused check has the rule on its
 * session's timeline.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { FAILURE_REASON_TEXT } from '@handset/protocol';
import { policyRefused } from '../../src/possession/envelope.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';
import { refusedChecks, tryCode, verificationCapPolicy, wrongCode as wrong } from '../support/verification-attempts.js';

const CAP = 5;
const SESSIONS = 12;
const TARGET = '+12025550142';
const OTHER = '+12025550143';
const LINKED = '+12025550144';

describe('verification attempts across sessions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-verify-cap-'));
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ overrides: { env: { ...process.env, HANDSET_POLICY_FILE: verificationCapPolicy(dir, CAP) } } });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${SESSIONS} sessions with a wrong code each: exactly the checks past the cap (${CAP}) fail their session, then even the right code fails`, async () => {
    const tries = [];
    for (let i = 0; i < SESSIONS; i++) tries.push(await tryCode(server, TARGET, wrong));
    const refused = tries.filter((t) => JSON.stringify(t.reply.body) === JSON.stringify(policyRefused()));
    assert.equal(refused.length, SESSIONS - CAP);
    assert.deepEqual(refused, tries.slice(CAP), 'the checks up to the cap are wrong codes; every one past it is refused');
    for (const t of tries.slice(0, CAP)) assert.deepEqual(t.reply.body, tries[0]!.reply.body, 'a wrong code before the cap');
    assert.deepEqual((await refusedChecks(server)).sort(), tries.slice(CAP).map((t) => t.correlationId).sort());
    const failed = await Backend.of(server).status(tries.at(-1)!.correlationId);
    assert.equal(failed.success, 'false');

    const right = await tryCode(server, TARGET, (code) => code);
    assert.deepEqual(right.reply.body, policyRefused(), 'the right code is not accepted past the cap');
    const status = await Backend.of(server).status(right.correlationId);
    assert.equal(status.success, 'false');
    assert.deepEqual(status.evaluation, { authentication: { result: 'fail', failureReasons: { 9807: FAILURE_REASON_TEXT['9807'] } } });
    assert.ok((await refusedChecks(server)).includes(right.correlationId));
    const timeline = await server.server.deps.db.kysely.selectFrom('session_events').select(['type', 'reason', 'destination']).where('correlation_id', '=', right.correlationId).orderBy('seq').execute();
    assert.deepEqual(
      timeline.filter((e) => e.type === 'policy:verify-cap' || e.type.startsWith('otp_checked') || e.type === 'policy_failed'),
      [
        // Evaluated at the check only (`at: ["verify"]`); the code was never compared (no otp_checked).
        { type: 'policy:verify-cap', reason: 'matched:fail:enforced:9807', destination: `verifications_per_number_1h=${SESSIONS}` },
        { type: 'policy_failed', reason: '9807', destination: null },
      ],
    );
  });

  it(`Instant Link openings are not attempts: ${CAP + 2} links to one number all open, each reading 0 checks`, async () => {
    for (let i = 0; i < CAP + 2; i++) {
      const started = await Backend.of(server).unify({ possessionType: 'desktop', phoneNumber: LINKED, finalTargetUrl: 'https://shop.example.com/done' });
      assert.deepEqual((await new ProtocolClient(started.authToken!).instantLinkStart()).body, { next: '', data: {} });
      const message = (await server.outbox()).find((m) => m.to === LINKED)!; // newest first
      const opened = await fetch(/(https?:\/\/\S+)/.exec(message.body)![1]!, { redirect: 'manual' });
      assert.equal(opened.status, 302, `link ${i + 1} opens`);
      const entries = await server.server.deps.db.kysely.selectFrom('session_events').select(['reason', 'destination']).where('correlation_id', '=', started.correlationId).where('type', '=', 'policy:verify-cap').execute();
      assert.deepEqual(entries, [{ reason: 'not_matched:fail:enforced:9807', destination: 'verifications_per_number_1h=0' }]);
    }
  });

  it('another number is not affected: its right code succeeds', async () => {
    const ok = await tryCode(server, OTHER, (code) => code);
    assert.deepEqual(ok.reply.body, { next: 'done' });
    assert.equal((await Backend.of(server).status(ok.correlationId)).success, 'true');
  });
});
