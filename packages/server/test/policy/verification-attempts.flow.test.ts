/**
 * Brute force by opening new sessions, played over a socket (SQLite and PostgreSQL passes): one
 * number, many sessions, a wrong code in each. A policy cap on verification attempts per number
 * counts every check across sessions; past it a check is refused without comparing the code (it
 * counts as wrong), so even the right code no longer works for that number, while another number
 * is unaffected. Each refused check has the rule on its session's timeline.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { Backend } from '../support/server-api.js';
import { refusedChecks, tryCode, verificationCapPolicy, wrongCode as wrong } from '../support/verification-attempts.js';

const CAP = 5;
const SESSIONS = 12;
const TARGET = '+12025550142';
const OTHER = '+12025550143';

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

  it(`${SESSIONS} sessions with a wrong code each: checks past the cap (${CAP}) are refused, then even the right code fails`, async () => {
    const tries = [];
    for (let i = 0; i < SESSIONS; i++) tries.push(await tryCode(server, TARGET, wrong));
    // A refused check answers exactly as a wrong code: the attacker learns nothing from the answer.
    for (const t of tries) assert.deepEqual(t.reply, tries[0]!.reply);
    assert.deepEqual((await refusedChecks(server)).sort(), tries.slice(CAP).map((t) => t.correlationId).sort());

    const right = await tryCode(server, TARGET, (code) => code);
    assert.notDeepEqual(right.reply.body, { next: 'done' }, 'the right code is not accepted past the cap');
    assert.equal((await Backend.of(server).status(right.correlationId)).success, 'false');
    assert.ok((await refusedChecks(server)).includes(right.correlationId));
    const timeline = await server.server.deps.db.kysely.selectFrom('session_events').select(['type', 'destination']).where('correlation_id', '=', right.correlationId).orderBy('seq').execute();
    assert.deepEqual(
      timeline.filter((e) => e.type === 'policy:verify-cap' || e.type.startsWith('otp_checked')),
      [
        { type: 'policy:verify-cap', destination: `verifications_per_number_1h=${SESSIONS}` }, // at the send
        { type: 'policy:verify-cap', destination: `verifications_per_number_1h=${SESSIONS}` }, // at the check
        { type: 'otp_checked:wrong', destination: null },
      ],
    );
  });

  it('another number is not affected: its right code succeeds', async () => {
    const ok = await tryCode(server, OTHER, (code) => code);
    assert.deepEqual(ok.reply.body, { next: 'done' });
    assert.equal((await Backend.of(server).status(ok.correlationId)).success, 'true');
  });
});
