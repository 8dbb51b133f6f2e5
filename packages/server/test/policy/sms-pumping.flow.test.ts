/**
 * SMS pumping, played over a socket on both databases (issue 12, "Tests that play the attacks"):
 * 2,000 `/v3/unify` + OTP starts from one client to sequential numbers of one range
 * (+2327612xxxx, the shape measured in issue 12) stop at the policy's prefix cap, exactly; every
 * refused session, and only those, has the rule on its timeline with its inputs, and none has a
 * text. The default policy's runs are in default-policy-pumping.flow.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { deniedBy, Pump, textsTo } from '../support/pumping.js';

const ATTEMPTS = 2000;
const PREFIX_CAP = 40;
const numberOf = (i: number): string => `+2327612${String(i).padStart(4, '0')}`;

describe('SMS pumping to one range, a configured prefix cap', () => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-pumping-'));
  let server: TestServer;
  before(async () => {
    const file = join(dir, 'policy.json');
    const rule = { id: 'prefix-cap', when: { signal: 'sends_per_prefix_1h', op: '>=', value: PREFIX_CAP }, action: 'deny_send', reason: 9805 };
    writeFileSync(file, JSON.stringify({ version: 1, rules: [rule] }));
    server = await startTestServer({ overrides: { env: { ...process.env, HANDSET_POLICY_FILE: file } } });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${ATTEMPTS} unify + OTP starts to sequential numbers: texts stop at the prefix cap (${PREFIX_CAP}); every refusal is on its timeline`, { timeout: 900_000 }, async () => {
    const pump = new Pump(server);
    const { sent, refused } = await pump.run(ATTEMPTS, numberOf).finally(() => pump.close());
    assert.equal(sent.length, PREFIX_CAP);
    assert.equal(refused.length, ATTEMPTS - PREFIX_CAP);
    assert.equal(await textsTo(server, '+2327612'), PREFIX_CAP);
    // Every refused session, and only those, carries the rule and its reason; none has a text.
    assert.deepEqual(await deniedBy(server, 'prefix-cap', 9805), [...refused].sort());
    const queued = await server.server.deps.db.kysely.selectFrom('session_events').select('correlation_id').where('type', '=', 'otp_sent').execute();
    assert.deepEqual(queued.map((r) => r.correlation_id).sort(), [...sent].sort(), 'only the sent sessions have otp_sent');
    const one = await server.server.deps.db.kysely
      .selectFrom('session_events')
      .select(['type', 'reason', 'destination'])
      .where('correlation_id', '=', refused.at(-1)!)
      .where('channel', '=', 'policy')
      .execute();
    assert.equal(one.length, 1);
    assert.equal(one[0]!.reason, 'matched:deny_send:enforced:9805');
    assert.match(one[0]!.destination!, /^sends_per_prefix_1h=\d+$/);
    assert.ok(Number(one[0]!.destination!.split('=')[1]) >= PREFIX_CAP);
  });
});
