/**
 * SimSwapClient against the operator simulator over real sockets: a swap inside and outside the
 * window, the date, the risk reason, token reuse, and every operator failure (outage, timeout,
 * malformed, refusal, unknown subscriber) as `unavailable` within the timeout, never a throw.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { OperatorSimulator } from '@handset/operator-sim';
import { SimSwapClient, simSwapRiskReason, type SimSwapSignal } from '../../src/mobile-auth/camara/sim-swap.js';
import { CLIENT_SECRET, entryFor, LINE, operator } from './support.js';

const REDIRECT = 'http://127.0.0.1:9/v1/operator/callback';
const RECENT = '+12025550177'; // changed 10 hours ago
const OLDER = '+12025550178'; // changed 3 days ago
const NEVER = '+12025550179';
const STRANGER = '+12025550100'; // not a subscriber

describe('SIM Swap client against the operator simulator', () => {
  const now = Date.now();
  const hoursAgo = (h: number): string => new Date(now - h * 3_600_000).toISOString();
  let sim: OperatorSimulator;
  let client: SimSwapClient;

  before(async () => {
    sim = await operator(REDIRECT, { simChanges: { [RECENT]: hoursAgo(10), [OLDER]: hoursAgo(72), [NEVER]: null } });
    // Answers get 5 s (the machine is shared); only the cases where the operator never answers use a short bound.
    client = new SimSwapClient(entryFor(sim, REDIRECT), { maxAgeHours: 24, timeoutMs: 5000 });
  });
  after(() => sim.close());

  it('reports a swap inside the window with its date, and the risk reason it feeds', async () => {
    const signal = await client.check(RECENT);
    assert.deepEqual(signal, { status: 'checked', swapped: true, at: hoursAgo(10) });
    assert.deepEqual(simSwapRiskReason(signal, client.maxAgeHours), { code: '9135', description: 'SIM changed within the last 24 hours' });
  });

  it('reports no swap for a change outside the window or none at all, and no reason', async () => {
    for (const phone of [OLDER, NEVER, LINE]) {
      const signal = await client.check(phone);
      assert.deepEqual(signal, { status: 'checked', swapped: false }, phone);
      assert.equal(simSwapRiskReason(signal, 24), null);
    }
    const wide = new SimSwapClient(entryFor(sim, REDIRECT), { maxAgeHours: 96, timeoutMs: 5000 });
    assert.deepEqual(await wide.check(OLDER), { status: 'checked', swapped: true, at: hoursAgo(72) });
  });

  it('reuses its client-credentials token across checks', async () => {
    const before = sim.hits('token');
    const fresh = new SimSwapClient(entryFor(sim, REDIRECT), { maxAgeHours: 24, timeoutMs: 5000 });
    await fresh.check(NEVER);
    await fresh.check(NEVER);
    await fresh.check(RECENT);
    assert.equal(sim.hits('token') - before, 1);
  });

  it('still counts a swap when the date cannot be read', async () => {
    sim.fail('retrieve-date', { status: 503 });
    try {
      assert.deepEqual(await client.check(RECENT), { status: 'checked', swapped: true });
    } finally {
      sim.fail('retrieve-date', null);
    }
  });

  it('is unavailable, never an error, for every operator failure', async () => {
    const cases: Array<[Parameters<OperatorSimulator['fail']>, SimSwapSignal]> = [
      [['check', { status: 503 }], { status: 'unavailable', reason: 'operator_unavailable', detail: 'HTTP 503 UNAVAILABLE' }],
      [['check', { status: 429 }], { status: 'unavailable', reason: 'operator_unavailable', detail: 'HTTP 429 TOO_MANY_REQUESTS' }],
      [['check', 'malformed'], { status: 'unavailable', reason: 'malformed_answer', detail: 'malformed answer (HTTP 200)' }],
      [['check', 'timeout'], { status: 'unavailable', reason: 'timeout', detail: 'timeout' }],
    ];
    for (const [[endpoint, fault], expected] of cases) {
      sim.fail(endpoint, fault);
      try {
        const using = fault === 'timeout' ? new SimSwapClient(entryFor(sim, REDIRECT), { maxAgeHours: 24, timeoutMs: 700 }) : client;
        assert.deepEqual(await using.check(RECENT), expected, `${endpoint} ${JSON.stringify(fault)}`);
      } finally {
        sim.fail(endpoint, null);
      }
    }
    assert.deepEqual(await client.check(STRANGER), { status: 'unavailable', reason: 'not_subscriber', detail: 'HTTP 404 IDENTIFIER_NOT_FOUND' });
    assert.equal(simSwapRiskReason({ status: 'unavailable', reason: 'timeout', detail: 'timeout' }, 24), null);
  });

  it('is unavailable when the token endpoint fails or refuses the client', async () => {
    const cases: Array<[Parameters<OperatorSimulator['fail']>[1], string]> = [
      [{ status: 500 }, 'operator_unavailable'],
      ['timeout', 'timeout'],
      ['malformed', 'malformed_answer'],
    ];
    for (const [fault, reason] of cases) {
      const fresh = new SimSwapClient(entryFor(sim, REDIRECT), { maxAgeHours: 24, timeoutMs: fault === 'timeout' ? 500 : 5000 });
      sim.fail('token', fault);
      try {
        const signal = await fresh.check(RECENT);
        assert.equal(signal.status === 'unavailable' && signal.reason, reason);
      } finally {
        sim.fail('token', null);
      }
    }
    const wrong = new SimSwapClient(entryFor(sim, REDIRECT, { clientSecret: 'not-the-secret' }), { maxAgeHours: 24, timeoutMs: 5000 });
    const signal = await wrong.check(RECENT);
    assert.deepEqual(signal, { status: 'unavailable', reason: 'operator_error', detail: 'HTTP 401 invalid_client' });
    assert.ok(!JSON.stringify(signal).includes(CLIENT_SECRET));
  });

  it('is unavailable when the operator is down, and when discovery hangs', async () => {
    const dead = await operator(REDIRECT);
    const entry = entryFor(dead, REDIRECT);
    await dead.close();
    assert.deepEqual(await new SimSwapClient(entry, { maxAgeHours: 24, timeoutMs: 5000 }).check(RECENT), {
      status: 'unavailable',
      reason: 'operator_unavailable',
      detail: 'network error',
    });
    sim.fail('discovery', 'timeout');
    try {
      const signal = await new SimSwapClient(entryFor(sim, REDIRECT), { maxAgeHours: 24, timeoutMs: 400 }).check(RECENT);
      assert.equal(signal.status === 'unavailable' && signal.reason, 'timeout');
    } finally {
      sim.fail('discovery', null);
    }
  });

  it('refuses a window outside 1-2400 hours', () => {
    for (const maxAgeHours of [0, 2401, 1.5]) {
      assert.throws(() => new SimSwapClient(entryFor(sim, REDIRECT), { maxAgeHours, timeoutMs: 700 }), /maxAgeHours/);
    }
  });
});
