/**
 * Verification attempts are counted by every instance together (the `rate_limits` table, in each
 * check's transaction): wrong codes for one number in sessions spread over two instances, checked
 * at once, are refused past the cap exactly (a `fail` rule at `verify`: the session fails, the
 * code is not compared; the sessions are opened one at a time so each knows its code), and the
 * right code then fails on either instance.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../src/testing.js';
import { policyRefused } from '../../src/possession/envelope.js';
import { multiInstanceDatabase, startTwoServers, type TwoServers } from '../support/instances.js';
import { refusedChecks, sessionWithCode, tryCode, verificationCapPolicy, wrongCode } from '../support/verification-attempts.js';

const database = multiInstanceDatabase();
const CAP = 6;
const SESSIONS = 20;
const NUMBER = '+12025550177';

describe('verification attempts counted by two instances', { skip: database.skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-verify-multi-'));
  let servers: TwoServers;
  let a: TestServer;
  let b: TestServer;

  before(async () => {
    servers = await startTwoServers('hs_verify', { overrides: { env: { ...process.env, HANDSET_POLICY_FILE: verificationCapPolicy(dir, CAP) } } });
    ({ a, b } = servers);
  });

  after(async () => {
    await servers?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${SESSIONS} sessions over both instances, wrong codes at once: exactly ${SESSIONS - CAP} checks refused; then the right code fails on both`, async () => {
    const sessions = [];
    for (let i = 0; i < SESSIONS; i++) sessions.push(await sessionWithCode(i % 2 === 0 ? a : b, NUMBER));
    const replies = await Promise.all(sessions.map((s) => s.phone.otpFinish(wrongCode(s.code))));
    const refused = replies.filter((r) => JSON.stringify(r.body) === JSON.stringify(policyRefused()));
    assert.equal(refused.length, SESSIONS - CAP, 'exactly the checks past the cap are refused');
    assert.equal((await refusedChecks(a)).length, SESSIONS - CAP);
    for (const server of [a, b]) {
      const right = await tryCode(server, NUMBER, (code) => code);
      assert.deepEqual(right.reply.body, policyRefused());
      assert.ok((await refusedChecks(server)).includes(right.correlationId));
    }
  });
});
