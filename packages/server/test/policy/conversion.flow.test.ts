/**
 * Conversion rate per prefix over a socket (SQLite and PostgreSQL passes): a range whose texts
 * are never used is denied once the minimum volume is reached, although every number in it is
 * fresh; a range where people open their links keeps getting texts past that volume. The rule
 * pairs the rate with the volume (`all`), so a small sample never decides. A right OTP code is a
 * use like an opened link; a wrong one is not.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';
import { tryCode, wrongCode } from '../support/verification-attempts.js';

const MIN_VOLUME = 20;
const pumped = (i: number): string => `+2327612${String(i).padStart(4, '0')}`;
const real = (i: number): string => `+4477009${String(i).padStart(5, '0')}`;

function conversionPolicy(dir: string): string {
  const file = join(dir, 'conversion.json');
  const rule = {
    id: 'low-conversion',
    when: { all: [{ signal: 'conversion_per_prefix_24h', op: '<', value: 0.2 }, { signal: 'sends_per_prefix_24h', op: '>=', value: MIN_VOLUME }] },
    action: 'deny_send',
    reason: 9810,
  };
  writeFileSync(file, JSON.stringify({ version: 1, rules: [rule] }));
  return file;
}

/** A desktop session for `to` asks for its link; `open` opens it (the person finished). Returns whether the text was sent. */
async function sendLink(server: TestServer, to: string, open: boolean): Promise<{ correlationId: string; sent: boolean }> {
  const started = await Backend.of(server).unify({ possessionType: 'desktop', phoneNumber: to, finalTargetUrl: 'https://shop.example.com/done' });
  const reply = await new ProtocolClient(started.authToken!).instantLinkStart();
  const sent = (reply.body.data as { code?: number }).code === undefined;
  if (sent && open) {
    const message = (await server.outbox()).find((m) => m.to === to)!;
    const opened = await fetch(/(https?:\/\/\S+)/.exec(message.body)![1]!, { redirect: 'manual' });
    assert.equal(opened.status, 302);
  }
  return { correlationId: started.correlationId, sent };
}

describe('conversion rate per prefix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-conversion-'));
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ overrides: { env: { ...process.env, HANDSET_POLICY_FILE: conversionPolicy(dir) } } });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`a range whose texts are never used is denied after ${MIN_VOLUME} texts, each number fresh; the timeline shows rate and volume`, async () => {
    const results = [];
    for (let i = 0; i < MIN_VOLUME + 5; i++) results.push(await sendLink(server, pumped(i), false));
    assert.deepEqual(
      results.map((r) => r.sent),
      Array.from({ length: MIN_VOLUME + 5 }, (_, i) => i < MIN_VOLUME),
    );
    const entry = await server.server.deps.db.kysely
      .selectFrom('session_events')
      .select(['reason', 'destination'])
      .where('correlation_id', '=', results[MIN_VOLUME]!.correlationId)
      .where('type', '=', 'policy:low-conversion')
      .executeTakeFirstOrThrow();
    assert.deepEqual(entry, { reason: 'matched:deny_send:enforced:9810', destination: `conversion_per_prefix_24h=0,sends_per_prefix_24h=${MIN_VOLUME}` });
  });

  it('a range where people finish keeps getting texts past the minimum volume', async () => {
    const results = [];
    for (let i = 0; i < MIN_VOLUME + 5; i++) results.push(await sendLink(server, real(i), true));
    assert.ok(results.every((r) => r.sent));
    const last = await server.server.deps.db.kysely
      .selectFrom('session_events')
      .select(['reason', 'destination'])
      .where('correlation_id', '=', results.at(-1)!.correlationId)
      .where('type', '=', 'policy:low-conversion')
      .executeTakeFirstOrThrow();
    assert.deepEqual(last, { reason: 'not_matched:deny_send:enforced:9810', destination: `conversion_per_prefix_24h=1,sends_per_prefix_24h=${MIN_VOLUME + 4}` });
  });

  it('a right OTP code counts a use, a wrong one does not', async () => {
    const otp = (i: number): string => `+4479111230${String(i).padStart(2, '0')}`;
    assert.deepEqual((await tryCode(server, otp(1), (code) => code)).reply.body, { next: 'done' });
    assert.notDeepEqual((await tryCode(server, otp(2), wrongCode)).reply.body, { next: 'done' });
    const third = await sendLink(server, otp(3), false);
    const entry = await server.server.deps.db.kysely
      .selectFrom('session_events')
      .select('destination')
      .where('correlation_id', '=', third.correlationId)
      .where('type', '=', 'policy:low-conversion')
      .executeTakeFirstOrThrow();
    assert.equal(entry.destination, 'conversion_per_prefix_24h=0.5,sends_per_prefix_24h=2', 'one use of the two texts before it');
  });
});
