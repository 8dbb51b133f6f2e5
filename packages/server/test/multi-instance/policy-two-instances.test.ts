/**
 * The policy's send counters are shared by instances on one PostgreSQL database (the
 * `rate_limits` table, atomic upserts): one number hammered through two instances at once gets
 * exactly its cap of texts, and every send past it is refused with the rule on its timeline.
 * With the default policy and no configuration, the same holds for its own caps: a pumping run
 * through one range and one number hammered, both through two instances at once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../src/testing.js';
import { multiInstanceDatabase, startTwoServers, type TwoServers } from '../support/instances.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';
import { DEFAULT_CAPS } from '../../src/policy/default-policy.js';

const database = multiInstanceDatabase();
const CAP = 7;
const ATTEMPTS = 40;
const NUMBER = '+12025550199';

describe('policy send counters shared by two instances', { skip: database.skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-policy-multi-'));
  let servers: TwoServers;
  let a: TestServer;
  let b: TestServer;

  before(async () => {
    const file = join(dir, 'policy.json');
    const rule = { id: 'number-cap', when: { signal: 'sends_per_number_1h', op: '>=', value: CAP }, action: 'deny_send', reason: 9804 };
    writeFileSync(file, JSON.stringify({ version: 1, rules: [rule] }));
    servers = await startTwoServers('hs_policy', { overrides: { env: { ...process.env, HANDSET_POLICY_FILE: file } } });
    ({ a, b } = servers);
  });

  after(async () => {
    await servers?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`one number hammered through both instances at once gets exactly ${CAP} texts`, async () => {
    const replies = await Promise.all(
      Array.from({ length: ATTEMPTS }, async (_, i) => {
        const server = i % 2 === 0 ? a : b;
        const started = await Backend.of(server).unify({ possessionType: 'desktop', phoneNumber: NUMBER, finalTargetUrl: 'https://shop.example.com/done' });
        const reply = await new ProtocolClient(started.authToken!).instantLinkStart();
        assert.equal(reply.status, 200);
        return { correlationId: started.correlationId, denied: (reply.body.data as { code?: number }).code !== undefined };
      }),
    );
    assert.equal(replies.filter((r) => !r.denied).length, CAP);
    assert.equal((await a.outbox()).filter((m) => m.to === NUMBER).length, CAP);
    const refused = replies.filter((r) => r.denied).map((r) => r.correlationId);
    const rows = await a.server.deps.db.kysely
      .selectFrom('session_events')
      .select('correlation_id')
      .where('type', '=', 'policy:number-cap')
      .where('reason', '=', 'matched:deny_send:enforced:9804')
      .execute();
    assert.deepEqual(rows.map((r) => r.correlation_id).sort(), refused.sort());
  });
});

/** Link starts to `numberOf(i)`, alternating between the instances, all at once in batches of 25. */
async function hammer(servers: [TestServer, TestServer], attempts: number, numberOf: (i: number) => string): Promise<{ sent: string[]; refused: string[] }> {
  const sent: string[] = [];
  const refused: string[] = [];
  for (let start = 0; start < attempts; start += 25) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(25, attempts - start) }, async (_, j) => {
        const i = start + j;
        const server = servers[i % 2]!;
        const started = await Backend.of(server).unify({ possessionType: 'desktop', phoneNumber: numberOf(i), finalTargetUrl: 'https://shop.example.com/done' });
        const reply = await new ProtocolClient(started.authToken!).instantLinkStart();
        assert.equal(reply.status, 200);
        return { correlationId: started.correlationId, denied: (reply.body.data as { code?: number }).code !== undefined };
      }),
    );
    for (const r of batch) (r.denied ? refused : sent).push(r.correlationId);
  }
  return { sent, refused };
}

describe('the default policy on two instances, no configuration', { skip: database.skip }, () => {
  let servers: TwoServers;
  let a: TestServer;
  let b: TestServer;

  before(async () => {
    const env = { ...process.env };
    delete env.HANDSET_POLICY_FILE;
    servers = await startTwoServers('hs_policy_default', { overrides: { env } });
    ({ a, b } = servers);
  });

  after(async () => {
    await servers?.close();
  });

  const deniedBy = async (rule: string): Promise<string[]> =>
    (await a.server.deps.db.kysely.selectFrom('session_events').select('correlation_id').where('type', '=', `policy:${rule}`).where('reason', 'like', 'matched:deny_send:enforced:%').execute())
      .map((r) => r.correlation_id)
      .sort();

  it(`a pumping run through one range, split over both instances, gets exactly ${DEFAULT_CAPS.prefixPerHour} texts`, async () => {
    assert.equal(a.server.deps.policy.current.source, 'default');
    const attempts = 200;
    const { sent, refused } = await hammer([a, b], attempts, (i) => `+2327634${String(i).padStart(4, '0')}`);
    assert.equal(sent.length, DEFAULT_CAPS.prefixPerHour);
    assert.equal((await a.outbox()).filter((m) => m.to.startsWith('+2327634')).length, DEFAULT_CAPS.prefixPerHour);
    assert.deepEqual(await deniedBy('prefix-hourly-cap'), [...refused].sort());
  });

  it(`one number hammered through both instances gets exactly ${DEFAULT_CAPS.numberPerHour} texts`, async () => {
    const number = '+33612340001';
    const { sent, refused } = await hammer([a, b], 40, () => number);
    assert.equal(sent.length, DEFAULT_CAPS.numberPerHour);
    assert.equal((await a.outbox()).filter((m) => m.to === number).length, DEFAULT_CAPS.numberPerHour);
    assert.deepEqual(await deniedBy('number-hourly-cap'), [...refused].sort());
  });
});
