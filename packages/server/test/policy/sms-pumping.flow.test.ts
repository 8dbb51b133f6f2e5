/**
 * SMS pumping, played over a socket on both databases (issue 12, "Tests that play the attacks"):
 * 2,000 `/v3/unify` + OTP starts from one client to sequential numbers of one range
 * (+2327612xxxx, the shape measured in issue 12) stop at the policy's prefix cap, exactly; every
 * refused session has the rule on its timeline (and no text); with the **default policy and no
 * configuration** a run through an ordinary mobile range stops at the default range cap and a run
 * through a premium-rate range sends nothing; in sandbox mode a cap is evaluated and recorded but
 * stops nothing. The OTP start is what the SDK sends after its device step gives up
 * (`device/passive` reported), the path a sign-up page exposes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_CAPS } from '../../src/policy/default-policy.js';
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

/** One pumped session: a mobile start whose device step gives up, then its OTP start (allowed from there, as after Mobile Auth). */
async function otpStart(backend: Backend, phoneNumber: string): Promise<{ correlationId: string; denied: boolean }> {
  const started = await backend.unify({ possessionType: 'mobile', phoneNumber });
  const client = new ProtocolClient(started.authToken!);
  assert.equal((await client.reportError('device/passive', 'no storage')).status, 200);
  const reply = await client.otpStart();
  assert.equal(reply.status, 200);
  assert.equal(reply.body.next, 'mobile/otp');
  const data = reply.body.data as { code?: number } | undefined;
  if (data?.code !== undefined) assert.equal(data.code, 2, 'a denied send asks for another number (INVALID_PHONE_NUMBER)');
  return { correlationId: started.correlationId, denied: data?.code !== undefined };
}

/** Starts `count` sessions and their OTP sends, `BATCH` at a time; returns the correlation ids of sent and refused sends. */
async function pump(backend: Backend, count: number, number = numberOf): Promise<{ sent: string[]; refused: string[] }> {
  const sent: string[] = [];
  const refused: string[] = [];
  for (let start = 0; start < count; start += BATCH) {
    const batch = await Promise.all(Array.from({ length: Math.min(BATCH, count - start) }, (_, j) => otpStart(backend, number(start + j))));
    for (const r of batch) (r.denied ? refused : sent).push(r.correlationId);
  }
  return { sent, refused };
}

/** The sessions whose timeline has `rule` matched and enforced with `code`. */
async function deniedBy(server: TestServer, rule: string, code: number): Promise<string[]> {
  const rows = await server.server.deps.db.kysely
    .selectFrom('session_events')
    .select('correlation_id')
    .where('type', '=', `policy:${rule}`)
    .where('reason', '=', `matched:deny_send:enforced:${code}`)
    .execute();
  return rows.map((r) => r.correlation_id).sort();
}

/** Sessions with an `otp_sent` entry (a text was queued). */
async function sentSessions(server: TestServer, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await server.server.deps.db.kysely.selectFrom('session_events').select('correlation_id').where('type', '=', 'otp_sent').where('correlation_id', 'in', ids).execute();
  return rows.length;
}

async function textsTo(server: TestServer, prefix: string): Promise<number> {
  const rows = await server.server.deps.db.kysely
    .selectFrom('sms_outbox')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('to_e164', 'like', `${prefix}%`)
    .execute();
  return Number(rows[0]!.n);
}

describe('SMS pumping to one range', () => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-pumping-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('a configured prefix cap', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ overrides: { env: { ...process.env, HANDSET_POLICY_FILE: policyFile(dir) } } });
    });
    after(() => server.close());

    it(`${ATTEMPTS} unify + OTP starts to sequential numbers: texts stop at the prefix cap (${PREFIX_CAP}); every refusal is on its timeline`, async () => {
      const { sent, refused } = await pump(Backend.of(server), ATTEMPTS);
      assert.equal(sent.length, PREFIX_CAP);
      assert.equal(refused.length, ATTEMPTS - PREFIX_CAP);
      assert.equal(await textsTo(server, '+2327612'), PREFIX_CAP);
      // Every refused session, and only those, carries the rule and its reason; none has a text.
      assert.deepEqual(await deniedBy(server, 'prefix-cap', 9805), [...refused].sort());
      assert.equal(await sentSessions(server, refused.slice(0, 500)), 0);
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

  describe('the default policy, no configuration', () => {
    let server: TestServer;
    before(async () => {
      const env = { ...process.env };
      delete env.HANDSET_POLICY_FILE;
      server = await startTestServer({ overrides: { env } });
    });
    after(() => server.close());

    const RUN = 400;
    it(`${RUN} starts through one ordinary mobile range stop at the default range cap (${DEFAULT_CAPS.prefixPerHour} an hour)`, async () => {
      assert.equal(server.server.deps.policy.current.source, 'default');
      const { sent, refused } = await pump(Backend.of(server), RUN);
      assert.equal(sent.length, DEFAULT_CAPS.prefixPerHour);
      assert.equal(await textsTo(server, '+2327612'), DEFAULT_CAPS.prefixPerHour);
      assert.deepEqual(await deniedBy(server, 'prefix-hourly-cap', 9805), [...refused].sort());
    });

    it('starts through a premium-rate range send nothing at all', async () => {
      const premium = (i: number): string => `+44909012${String(i).padStart(4, '0')}`;
      const { sent, refused } = await pump(Backend.of(server), 100, premium);
      assert.deepEqual(sent, []);
      assert.equal(await textsTo(server, '+44909012'), 0);
      const denied = await deniedBy(server, 'deny-premium-rate', 9802);
      assert.equal(denied.length, refused.length, 'as many denials as refused sends');
      assert.deepEqual(denied, [...refused].sort());
    });

    it(`one number hammered gets ${DEFAULT_CAPS.numberPerHour} texts an hour, then none`, async () => {
      const number = '+33612345678';
      const { sent, refused } = await pump(Backend.of(server), DEFAULT_CAPS.numberPerHour + 15, () => number);
      assert.equal(sent.length, DEFAULT_CAPS.numberPerHour);
      assert.equal(await textsTo(server, number), DEFAULT_CAPS.numberPerHour);
      assert.deepEqual(await deniedBy(server, 'number-hourly-cap', 9804), [...refused].sort());
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
      const backend = Backend.of(server);
      const results = [];
      // Desktop Instant Link starts: the sandbox's test user takes them without a device step.
      for (let i = 0; i < attempts; i++) {
        const started = await backend.unify({ possessionType: 'desktop', phoneNumber: '+12001004014', finalTargetUrl: 'https://shop.example.com/done' });
        results.push((await new ProtocolClient(started.authToken!).instantLinkStart()).body);
      }
      assert.deepEqual(results, Array.from({ length: attempts }, () => ({ next: '', data: {} })));
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
