/**
 * The fraud policy at the send step, over a socket on both databases: the default policy sends no
 * text to a premium-rate number; a country outside a policy's allow list never gets a text, even
 * through a change of number; a shadow rule is recorded and enforces nothing. Every evaluated rule
 * is on the session's timeline with its inputs, result, action and mode.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ValidationCode } from '@handset/protocol';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';

const PREMIUM = '+19005550100';
const US = '+12025550181';
const FR = '+33612345678';
const SL = '+23276123456';

async function timeline(server: TestServer, correlationId: string): Promise<Array<{ type: string; reason: string | null; destination: string | null }>> {
  return server.server.deps.db.kysely
    .selectFrom('session_events')
    .select(['type', 'reason', 'destination'])
    .where('correlation_id', '=', correlationId)
    .orderBy('seq')
    .execute();
}

async function desktopStart(backend: Backend, phoneNumber: string): Promise<{ correlationId: string; client: ProtocolClient }> {
  const started = await backend.unify({ possessionType: 'desktop', phoneNumber, finalTargetUrl: 'https://shop.example.com/done' });
  return { correlationId: started.correlationId, client: new ProtocolClient(started.authToken!) };
}

const textsTo = async (server: TestServer, to: string): Promise<number> => (await server.outbox()).filter((m) => m.to === to).length;

describe('policy at the send step: the default policy', () => {
  let server: TestServer;
  let backend: Backend;
  before(async () => {
    server = await startTestServer();
    backend = Backend.of(server);
  });
  after(() => server.close());

  it('sends no text to a premium-rate number; the reply asks for another number; the timeline shows the rule', async () => {
    const { correlationId, client } = await desktopStart(backend, PREMIUM);
    const reply = await client.instantLinkStart();
    assert.equal(reply.status, 200);
    assert.equal((reply.body.data as { code: number }).code, ValidationCode.INVALID_PHONE_NUMBER);
    assert.equal(reply.body.error, undefined);
    assert.equal(await textsTo(server, PREMIUM), 0);
    const entries = await timeline(server, correlationId);
    assert.deepEqual(entries.filter((e) => e.type.startsWith('policy:')), [
      { type: 'policy:deny-premium-rate', reason: 'matched:deny_send:enforced:9802', destination: 'line_type=premium_rate' },
      // The caps are evaluated too (their counters count the asked-for text), and hold.
      { type: 'policy:number-hourly-cap', reason: 'not_matched:deny_send:enforced:9804', destination: 'sends_per_number_1h=0' },
      { type: 'policy:number-daily-cap', reason: 'not_matched:deny_send:enforced:9804', destination: 'sends_per_number_24h=0' },
      { type: 'policy:prefix-hourly-cap', reason: 'not_matched:deny_send:enforced:9805', destination: 'sends_per_prefix_1h=0' },
      { type: 'policy:prefix-daily-cap', reason: 'not_matched:deny_send:enforced:9805', destination: 'sends_per_prefix_24h=0' },
    ]);
    assert.ok(!entries.some((e) => e.type === 'link_sent'), 'no link_sent entry: nothing was queued');
    // The session is still waiting: another number may be tried.
    assert.equal((await backend.status(correlationId)).success, 'pending');
  });

  it('an ordinary number gets its text; every rule is recorded as not matched', async () => {
    const { correlationId, client } = await desktopStart(backend, US);
    assert.deepEqual((await client.instantLinkStart()).body, { next: '', data: {} });
    assert.equal(await textsTo(server, US), 1);
    const policyEntries = (await timeline(server, correlationId)).filter((e) => e.type.startsWith('policy:'));
    assert.deepEqual(policyEntries.map((e) => e.reason), [
      'not_matched:deny_send:enforced:9802',
      'not_matched:deny_send:enforced:9804',
      'not_matched:deny_send:enforced:9804',
      'not_matched:deny_send:enforced:9805',
      'not_matched:deny_send:enforced:9805',
    ]);
    const metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
    assert.match(metrics, /handset_policy_decisions_total\{rule="deny-premium-rate",action="deny_send"\} 1/);
  });
});

describe('policy at the send step: an allow list and a shadow rule', () => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-policy-flow-'));
  let server: TestServer;
  let backend: Backend;
  before(async () => {
    const file = join(dir, 'policy.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        rules: [
          { id: 'allow-list', when: { signal: 'country', op: 'not_in', value: ['US', 'SL'] }, action: 'deny_send', reason: 9803 },
          { id: 'watch-sl', when: { signal: 'country', op: '==', value: 'SL' }, action: 'deny_send', reason: 9803, shadow: true },
        ],
      }),
    );
    server = await startTestServer({ overrides: { env: { ...process.env, HANDSET_POLICY_FILE: file } } });
    backend = Backend.of(server);
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a country outside the allow list never gets a text, first send or change of number', async () => {
    const { correlationId, client } = await desktopStart(backend, US);
    const changed = await client.instantLinkStart(FR);
    assert.equal((changed.body.data as { code: number }).code, ValidationCode.INVALID_PHONE_NUMBER, 'a change of number to FR is denied');
    assert.equal(await textsTo(server, FR), 0);
    const first = await desktopStart(backend, FR);
    const denied = await first.client.instantLinkStart();
    assert.equal((denied.body.data as { code: number }).code, ValidationCode.INVALID_PHONE_NUMBER);
    assert.equal(await textsTo(server, FR), 0);
    const entries = (await timeline(server, first.correlationId)).filter((e) => e.type === 'policy:allow-list');
    assert.deepEqual(entries, [{ type: 'policy:allow-list', reason: 'matched:deny_send:enforced:9803', destination: 'country=FR' }]);
    // The change of number that was refused left the session's earlier state alone: a send to its US number still works.
    assert.deepEqual((await client.instantLinkStart(US)).body, { next: '', data: {} });
    assert.equal(await textsTo(server, US), 1);
    assert.ok((await timeline(server, correlationId)).some((e) => e.type === 'link_sent'));
  });

  it('a shadow rule is recorded as matched and enforces nothing', async () => {
    const { correlationId, client } = await desktopStart(backend, SL);
    assert.deepEqual((await client.instantLinkStart()).body, { next: '', data: {} });
    assert.equal(await textsTo(server, SL), 1);
    const entries = (await timeline(server, correlationId)).filter((e) => e.type.startsWith('policy:'));
    assert.deepEqual(entries, [
      { type: 'policy:allow-list', reason: 'not_matched:deny_send:enforced:9803', destination: 'country=SL' },
      { type: 'policy:watch-sl', reason: 'matched:deny_send:shadow:9803', destination: 'country=SL' },
    ]);
  });
});

describe('policy at the send step: shadow mode records and enforces nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-policy-shadow-'));
  let server: TestServer;
  let backend: Backend;
  const CAP = 2;
  before(async () => {
    const file = join(dir, 'policy.json');
    // The default policy's kinds of rule, all in shadow: a line type rule and a send cap far below what is sent.
    const rules = [
      { id: 'deny-premium-rate', when: { signal: 'line_type', op: 'in', value: ['premium_rate', 'shared_cost'] }, action: 'deny_send', reason: 9802, shadow: true },
      { id: 'number-cap', when: { signal: 'sends_per_number_1h', op: '>=', value: CAP }, action: 'deny_send', reason: 9804, shadow: true },
      { id: 'fail-premium', when: { signal: 'line_type', op: '==', value: 'premium_rate' }, action: 'fail', reason: 9802, shadow: true },
    ];
    writeFileSync(file, JSON.stringify({ version: 1, rules }));
    server = await startTestServer({ overrides: { env: { ...process.env, HANDSET_POLICY_FILE: file } } });
    backend = Backend.of(server);
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a premium-rate number and a number past its cap get every text; each match is recorded as shadow and counted as such', async () => {
    const sessions: string[] = [];
    for (const number of [PREMIUM, US, US, US, US, US]) {
      const { correlationId, client } = await desktopStart(backend, number);
      assert.deepEqual((await client.instantLinkStart()).body, { next: '', data: {} }, `a text to ${number}`);
      sessions.push(correlationId);
    }
    assert.equal(await textsTo(server, PREMIUM), 1);
    assert.equal(await textsTo(server, US), 5);
    const reasons = (await Promise.all(sessions.map((id) => timeline(server, id)))).map((entries) =>
      entries.filter((e) => e.type.startsWith('policy:')).map((e) => `${e.type} ${e.reason}`),
    );
    assert.deepEqual(reasons[0], ['policy:deny-premium-rate matched:deny_send:shadow:9802', 'policy:number-cap not_matched:deny_send:shadow:9804', 'policy:fail-premium matched:fail:shadow:9802']);
    assert.deepEqual(reasons[1]![1], 'policy:number-cap not_matched:deny_send:shadow:9804');
    assert.deepEqual(reasons.slice(3).map((r) => r[1]), Array(3).fill('policy:number-cap matched:deny_send:shadow:9804'));
    assert.ok(!reasons.flat().some((r) => r.includes(':enforced:')), 'nothing is enforced');
    // Every session is still open for its proof: nothing failed it.
    for (const id of sessions) assert.equal((await backend.status(id)).success, 'pending');
    const metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
    assert.match(metrics, /handset_policy_decisions_total\{rule="number-cap",action="shadow"\} 3/);
    assert.match(metrics, /handset_policy_decisions_total\{rule="fail-premium",action="shadow"\} 1/);
    assert.doesNotMatch(metrics, /handset_policy_decisions_total\{rule="number-cap",action="deny_send"\}/);
  });
});
