/**
 * `/metrics` (issue 14 item 1): the scrape parses strictly, and the counters move during real
 * flows driven over HTTP and the status socket — mobile OTP (passed and failed), desktop Instant
 * Link, customer-supplied with unify-bind, a returning Prove Key — both over a listening socket
 * and over inject(). Runs on SQLite and, in the PostgreSQL pass, on PostgreSQL (pool gauges).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { DeviceKey } from '../support/device-key.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { parsePrometheusText, sampleSum, type Family } from '../support/prometheus-text.js';
import { Backend, latestMessage } from '../support/server-api.js';

const OTP_NUMBER = '+12025550131';
const LINK_NUMBER = '+12025550132';
const BIND_NUMBER = '+12025550133';
const UK_NUMBER = '+447700900123';

async function scrape(server: TestServer): Promise<Map<string, Family>> {
  const response = await fetch(`${server.url}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await response.text());
}

/** Every metric the flows below must move, read from one scrape. */
function readings(f: Map<string, Family>) {
  return {
    startedMobile: sampleSum(f, 'handset_sessions_started_total', { possession_type: 'mobile' }),
    startedDesktop: sampleSum(f, 'handset_sessions_started_total', { possession_type: 'desktop' }),
    startedNone: sampleSum(f, 'handset_sessions_started_total', { possession_type: 'none' }),
    otpSucceeded: sampleSum(f, 'handset_sessions_finished_total', { possession_type: 'mobile', channel: 'otp', outcome: 'succeeded' }),
    otpFailed: sampleSum(f, 'handset_sessions_finished_total', { possession_type: 'mobile', channel: 'otp', outcome: 'failed' }),
    linkSucceeded: sampleSum(f, 'handset_sessions_finished_total', { possession_type: 'desktop', channel: 'instant_link', outcome: 'succeeded' }),
    boundSucceeded: sampleSum(f, 'handset_sessions_finished_total', { possession_type: 'none', channel: 'customer_supplied', outcome: 'succeeded' }),
    keySucceeded: sampleSum(f, 'handset_sessions_finished_total', { possession_type: 'none', channel: 'prove_key', outcome: 'succeeded' }),
    possessionRequired: sampleSum(f, 'handset_sessions_possession_required_total', { possession_type: 'none', channel: 'customer_supplied' }),
    smsUs: sampleSum(f, 'handset_messages_total', { provider: 'outbox', country: 'US', status: 'sent' }),
    smsGb: sampleSum(f, 'handset_messages_total', { provider: 'outbox', country: 'GB', status: 'sent' }),
    otpFinishCalls: sampleSum(f, 'handset_http_request_duration_seconds_count', { method: 'POST', route: '/v1/client/mobile/otp/finish', status: '200' }),
    unifyCalls: sampleSum(f, 'handset_http_request_duration_seconds_count', { method: 'POST', route: '/v3/unify', status: '200' }),
    linkPages: sampleSum(f, 'handset_http_request_duration_seconds_count', { method: 'GET', route: '/v1/il/:token', status: '302' }),
    queries: sampleSum(f, 'handset_db_query_duration_seconds_count'),
    updates: sampleSum(f, 'handset_db_query_duration_seconds_count', { kind: 'update' }),
  };
}

describe('/metrics', () => {
  let server: TestServer;
  let backend: Backend;
  before(async () => {
    server = await startTestServer();
    backend = Backend.of(server);
  });
  after(() => server.close());

  async function otpFlow(phoneNumber: string, right: boolean): Promise<void> {
    const started = await backend.unify({ possessionType: 'mobile', phoneNumber });
    const client = new ProtocolClient(started.authToken!);
    await client.reportError('device/passive', 'no key store');
    await client.otpStart();
    const { code } = await latestMessage(server, phoneNumber);
    const wrong = code === '0000' ? '1111' : '0000';
    await client.otpFinish(right ? code! : wrong);
    assert.equal((await backend.status(started.correlationId)).success, right ? 'true' : 'false');
  }

  it('scrapes cleanly, and sessions, messages, step latencies and queries move during real flows', async () => {
    const before = readings(await scrape(server));

    await otpFlow(OTP_NUMBER, true);
    await otpFlow(OTP_NUMBER, false);
    await otpFlow(UK_NUMBER, true);

    // Desktop Instant Link, with the status socket open while it waits.
    const desktop = await backend.unify({ possessionType: 'desktop', phoneNumber: LINK_NUMBER, finalTargetUrl: 'https://shop.example.com/done' });
    const desktopClient = new ProtocolClient(desktop.authToken!);
    const socket = await desktopClient.openStatusSocket();
    assert.equal(sampleSum(await scrape(server), 'handset_status_sockets_open'), 1, 'the waiting socket is counted');
    await desktopClient.instantLinkStart();
    const { link } = await latestMessage(server, LINK_NUMBER);
    assert.equal((await fetch(link!, { redirect: 'manual' })).status, 302);
    assert.deepEqual(JSON.parse(await socket.next()), { next: 'done' });
    socket.close();
    await socket.closed();

    // Customer-supplied: a new key → possession_required → unify-bind → true; then the key alone.
    const key = new DeviceKey();
    const first = await backend.unify({ possessionType: 'none', phoneNumber: BIND_NUMBER });
    await new ProtocolClient(first.authToken!).deviceStep(key);
    assert.equal((await backend.status(first.correlationId)).success, 'possession_required');
    assert.equal((await backend.bind(first.correlationId, BIND_NUMBER)).body.success, 'true');
    const again = await backend.unify({ possessionType: 'none', phoneNumber: BIND_NUMBER });
    assert.deepEqual((await new ProtocolClient(again.authToken!).deviceStep(key)).body, { next: 'done' });

    const families = await scrape(server);
    const after = readings(families);
    const moved = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - before[k as keyof typeof before]]));
    assert.equal(moved.startedMobile, 3);
    assert.equal(moved.startedDesktop, 1);
    assert.equal(moved.startedNone, 2);
    assert.equal(moved.otpSucceeded, 2);
    assert.equal(moved.otpFailed, 1);
    assert.equal(moved.linkSucceeded, 1);
    assert.equal(moved.possessionRequired, 1);
    assert.equal(moved.boundSucceeded, 1);
    assert.equal(moved.keySucceeded, 1);
    assert.equal(moved.smsUs, 3, 'two codes and one link to US numbers');
    assert.equal(moved.smsGb, 1, 'the UK code is counted under GB');
    assert.equal(moved.otpFinishCalls, 3);
    assert.equal(moved.unifyCalls, 6);
    assert.equal(moved.linkPages, 1, 'the Instant Link page is labelled by its pattern');
    assert.ok(moved.queries! > 20, `statements were timed (${moved.queries})`);
    assert.ok(moved.updates! >= 6, 'session updates are timed as updates');

    // The socket is gone once its close is processed (a bounded wait, no timing assertion).
    let open = sampleSum(families, 'handset_status_sockets_open');
    for (let i = 0; i < 50 && open !== 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      open = sampleSum(await scrape(server), 'handset_status_sockets_open');
    }
    assert.equal(open, 0);

    // Process metrics and the event-loop lag come with prom-client's defaults.
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes']) {
      assert.ok(families.has(name), `${name} is exposed`);
    }
    // The pool exists on PostgreSQL only.
    const postgres = server.server.deps.db.dialect === 'postgres';
    assert.equal(families.has('handset_db_pool_connections'), postgres);
    if (postgres) {
      assert.ok(sampleSum(families, 'handset_db_pool_connections') >= 1);
      assert.ok(sampleSum(families, 'handset_db_pool_idle_connections') >= 0);
      assert.equal(families.get('handset_db_pool_waiting_requests')?.type, 'gauge');
    }
    assert.equal(families.get('handset_db_query_duration_seconds')?.samples[0]?.labels.dialect, server.server.deps.db.dialect);
    // The fraud policy's decisions (docs/fraud-policy.md): exposed from the start, a counter.
    assert.equal(families.get('handset_policy_decisions_total')?.type, 'counter');
  });

  it('answers over inject() too, and HEAD has the headers without a body', async () => {
    const { app } = server.server;
    const injected = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(injected.statusCode, 200);
    assert.equal(injected.headers['cache-control'], 'no-store');
    const families = parsePrometheusText(injected.body);
    assert.equal(families.get('handset_sessions_started_total')?.type, 'counter');
    assert.equal(families.get('handset_http_request_duration_seconds')?.type, 'histogram');
    const head = await app.inject({ method: 'HEAD', url: '/metrics' });
    assert.equal(head.statusCode, 200);
    assert.equal(head.body, '');
    // The scrape of a moment ago is itself counted, by its route pattern.
    assert.ok(sampleSum(parsePrometheusText((await app.inject({ method: 'GET', url: '/metrics' })).body), 'handset_http_request_duration_seconds_count', { route: '/metrics' }) >= 1);
  });

  it('unmatched requests are one series, whatever their URL', async () => {
    for (const path of ['/no/such/thing', '/v1/il/tok/extra', '/metrics/x']) assert.equal((await fetch(`${server.url}${path}`)).status, 404);
    const families = await scrape(server);
    const routes = new Set(families.get('handset_http_request_duration_seconds')!.samples.map((s) => s.labels.route));
    assert.ok(routes.has('unmatched'));
    for (const route of routes) assert.ok(route === 'unmatched' || route!.startsWith('/'), `route label ${route}`);
    assert.ok(![...routes].some((r) => r!.includes('no/such') || r!.includes('extra')), 'raw URLs never become labels');
  });

  it('a second instance in the same process has its own registry', async () => {
    const other = await startTestServer();
    try {
      const families = await scrape(other);
      assert.equal(sampleSum(families, 'handset_sessions_started_total'), 0, 'nothing of the first instance leaks in');
      assert.ok(families.has('process_cpu_user_seconds_total'));
    } finally {
      await other.close();
    }
  });
});
