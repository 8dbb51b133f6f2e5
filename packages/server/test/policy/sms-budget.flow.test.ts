/**
 * The daily SMS budget over a socket (SQLite and PostgreSQL passes): a client's count budget runs
 * out → its next texts are denied with the rule's reason, and the alert line is logged once
 * (captured log, naming client and budget, no number); a text denied by another rule costs
 * nothing; the total cost budget, priced per country from the policy's table, stops every client;
 * in sandbox mode the budget is evaluated and recorded but stops nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/deps.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';

const PREMIUM = '+19005550100';
const usNumber = (i: number): string => `+120255501${String(i).padStart(2, '0')}`;

function budgetPolicy(dir: string): string {
  const file = join(dir, 'budget.json');
  writeFileSync(
    file,
    JSON.stringify({
      version: 1,
      prices: { currency: 'USD', default: 0.05, countries: { US: 0.01 } },
      rules: [
        { id: 'deny-premium-rate', when: { signal: 'line_type', op: 'in', value: ['premium_rate'] }, action: 'deny_send', reason: 9802 },
        { id: 'client-day-count', when: { signal: 'budget_client_count_used', op: '>=', value: 3 }, action: 'deny_send', reason: 9808 },
        { id: 'total-day-cost', when: { signal: 'budget_total_cost_used', op: '>=', value: 0.05 }, action: 'deny_send', reason: 9809 },
      ],
    }),
  );
  return file;
}

/** Starts a desktop session for `to` and asks for its text; the denial's `data.code` or null when sent. */
async function send(backend: Backend, to: string): Promise<{ correlationId: string; denied: boolean }> {
  const started = await backend.unify({ possessionType: 'desktop', phoneNumber: to, finalTargetUrl: 'https://shop.example.com/done' });
  const reply = await new ProtocolClient(started.authToken!).instantLinkStart();
  assert.equal(reply.status, 200);
  return { correlationId: started.correlationId, denied: (reply.body.data as { code?: number }).code !== undefined };
}

async function policyEntries(server: TestServer, correlationId: string): Promise<string[]> {
  const rows = await server.server.deps.db.kysely
    .selectFrom('session_events')
    .select(['type', 'reason'])
    .where('correlation_id', '=', correlationId)
    .where('channel', '=', 'policy')
    .orderBy('seq')
    .execute();
  return rows.filter((r) => r.reason!.startsWith('matched')).map((r) => `${r.type} ${r.reason}`);
}

describe('daily SMS budget', () => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-budget-'));
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(...chunk.toString().split('\n').filter(Boolean)), done()) });
  const alerts = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.alert === 'sms_budget_exhausted');
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ overrides: { env: { ...process.env, HANDSET_POLICY_FILE: budgetPolicy(dir) }, log: createLogger('info', sink) } });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a client's count budget runs out: denied with its reason, the alert logged once; a premium denial cost nothing", async () => {
    const backend = Backend.of(server);
    assert.equal((await send(backend, PREMIUM)).denied, true);
    const sent = [];
    for (let i = 0; i < 5; i++) sent.push(await send(backend, usNumber(i)));
    assert.deepEqual(sent.map((s) => s.denied), [false, false, false, true, true], 'three texts, then the budget is spent (the premium denial was not counted)');
    assert.equal((await server.outbox()).length, 3);
    assert.deepEqual(await policyEntries(server, sent[3]!.correlationId), ['policy:client-day-count matched:deny_send:enforced:9808']);
    const logged = alerts();
    assert.equal(logged.length, 1, 'one alert for the window, not one per denied text');
    assert.equal(logged[0]!.level, 50);
    assert.equal(logged[0]!.clientId, server.clientId);
    assert.equal(logged[0]!.rule, 'client-day-count');
    assert.equal(logged[0]!.budget, 'budget_client_count_used');
    assert.doesNotMatch(JSON.stringify(logged), /\+?1202555\d{4}/, 'no number in the alert');
  });

  it('the total cost budget (US texts at 0.01) stops every client once 0.05 is spent, with its own alert', async () => {
    const other = await server.createClient('second');
    const backend = new Backend(server.url, other.clientId, other.clientSecret);
    const sent = [];
    for (let i = 10; i < 13; i++) sent.push(await send(backend, usNumber(i)));
    // 3 texts of the first client + 2 of this one = 0.05.
    assert.deepEqual(sent.map((s) => s.denied), [false, false, true]);
    assert.deepEqual(await policyEntries(server, sent[2]!.correlationId), ['policy:total-day-cost matched:deny_send:enforced:9809']);
    const total = alerts().filter((a) => a.rule === 'total-day-cost');
    assert.equal(total.length, 1);
    assert.equal(total[0]!.scope, 'total');
  });
});

describe('daily SMS budget in sandbox mode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-budget-sandbox-'));
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ sandbox: true, overrides: { env: { ...process.env, HANDSET_POLICY_FILE: budgetPolicy(dir) } } });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the budget is evaluated and recorded (off) but stops no sandbox session', async () => {
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await send(Backend.of(server), '+12001004014'));
    assert.deepEqual(results.map((r) => r.denied), [false, false, false, false, false]);
    // The sandbox's 200 area code has no country: priced at the default 0.05, so the total is spent too.
    assert.deepEqual(await policyEntries(server, results[4]!.correlationId), [
      'policy:client-day-count matched:deny_send:off:9808',
      'policy:total-day-cost matched:deny_send:off:9809',
    ]);
  });
});
