/**
 * SMS pumping, played over a socket on both databases: 2,000 `/v3/unify` + Instant Link starts
 * from one client to sequential numbers of one range (+2327612xxxx, the shape measured in issue
 * 12) stop at the policy's prefix cap, exactly; every refused session has the rule on its
 * timeline; and in sandbox mode the same cap is evaluated and recorded but stops nothing.
 * Sends go through desktop Instant Link starts (the same send step as OTP starts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';

const ATTEMPTS = 2000;
const PREFIX_CAP = 40;
const BATCH = 25;
const numberOf = (i: number): string => `+2327612${String(i).padStart(4, '0')}`;

function policyFile(dir: string, signal = 'sends_per_prefix_1h', cap = PREFIX_CAP): string {
  const file = join(dir, `${signal}.json`);
  const rule = { id: 'prefix-cap', when: { signal, op: '>=', value: cap }, action: 'deny_send', reason: 9805 };
  writeFileSync(file, JSON.stringify({ version: 1, rules: [rule] }));
  return file;
}

/** Starts `count` sessions and their Instant Link sends, `BATCH` at a time; returns the correlation ids of refused sends. */
async function pump(backend: Backend, count: number, number = numberOf): Promise<{ sent: number; refused: string[] }> {
  let sent = 0;
  const refused: string[] = [];
  for (let start = 0; start < count; start += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, count - start) }, async (_, j) => {
        const started = await backend.unify({ possessionType: 'desktop', phoneNumber: number(start + j), finalTargetUrl: 'https://shop.example.com/done' });
        const reply = await new ProtocolClient(started.authToken!).instantLinkStart();
        assert.equal(reply.status, 200);
        const data = reply.body.data as { code?: number };
        if (data.code === undefined) sent++;
        else refused.push(started.correlationId);
      }),
    );
  }
  return { sent, refused };
}

async function denials(server: TestServer): Promise<number> {
  const rows = await server.server.deps.db.kysely
    .selectFrom('session_events')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('type', '=', 'policy:prefix-cap')
    .where('reason', '=', 'matched:deny_send:enforced:9805')
    .execute();
  return Number(rows[0]!.n);
}

describe('SMS pumping to one range', () => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-pumping-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('enforced', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ overrides: { env: { ...process.env, HANDSET_POLICY_FILE: policyFile(dir) } } });
    });
    after(() => server.close());

    it(`${ATTEMPTS} starts to sequential numbers: texts stop at the prefix cap (${PREFIX_CAP}); each refusal is on its timeline`, async () => {
      const { sent, refused } = await pump(Backend.of(server), ATTEMPTS);
      assert.equal(sent, PREFIX_CAP);
      assert.equal(refused.length, ATTEMPTS - PREFIX_CAP);
      assert.equal((await server.outbox()).filter((m) => m.to.startsWith('+2327612')).length, PREFIX_CAP);
      assert.equal(await denials(server), ATTEMPTS - PREFIX_CAP);
      const one = await server.server.deps.db.kysely
        .selectFrom('session_events')
        .select(['type', 'reason', 'destination'])
        .where('correlation_id', '=', refused[0]!)
        .where('channel', '=', 'policy')
        .execute();
      assert.equal(one.length, 1);
      assert.equal(one[0]!.reason, 'matched:deny_send:enforced:9805');
      assert.match(one[0]!.destination!, /^sends_per_prefix_1h=\d+$/);
      assert.ok(Number(one[0]!.destination!.split('=')[1]) >= PREFIX_CAP);
    });
  });

  describe('sandbox mode', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ sandbox: true, overrides: { env: { ...process.env, HANDSET_POLICY_FILE: policyFile(dir, 'sends_per_number_1h', 3) } } });
    });
    after(() => server.close());

    it('a send cap is evaluated and recorded (off) but stops no session (a sandbox test user, cap 3)', async () => {
      const attempts = 13;
      const { sent, refused } = await pump(Backend.of(server), attempts, () => '+12001004014');
      assert.equal(sent, attempts);
      assert.deepEqual(refused, []);
      const off = await server.server.deps.db.kysely
        .selectFrom('session_events')
        .select('reason')
        .where('type', '=', 'policy:prefix-cap')
        .where('reason', '=', 'matched:deny_send:off:9805')
        .execute();
      assert.equal(off.length, 10);
    });
  });
});
