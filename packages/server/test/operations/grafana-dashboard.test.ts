/**
 * The example Grafana dashboard (docs/grafana/handset-dashboard.json) parses, is importable
 * (a datasource input, unique panel ids, every query on that datasource), and every metric name its
 * queries use exists in a real scrape after a flow — so a renamed metric cannot leave the dashboard
 * silently empty. It also covers every handset_* metric the platform exposes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Metrics } from '../../src/metrics/metrics.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { parsePrometheusText, type Family } from '../support/prometheus-text.js';
import { Backend, latestMessage } from '../support/server-api.js';

const DASHBOARD = new URL('../../../../docs/grafana/handset-dashboard.json', import.meta.url);

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Array<{ refId: string; expr: string; datasource: { uid: string } }>;
}

/** Metric names in a PromQL expression: identifiers of the platform's and prom-client's families. */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b((?:handset|process|nodejs)_[a-zA-Z0-9_]+)\b/g)].map((m) => m[1]!);
}

/** Every sample name of a scrape (`…_bucket`, `…_count` included). */
function sampleNames(families: Map<string, Family>): Set<string> {
  return new Set([...families.values()].flatMap((f) => [f.name, ...f.samples.map((s) => s.name)]));
}

describe('Grafana dashboard', () => {
  let server: TestServer;
  let dashboard: { __inputs: Array<{ name: string; pluginId: string }>; panels: Panel[]; uid: string; templating: { list: Array<{ query: { query: string } }> } };
  before(async () => {
    dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
    server = await startTestServer();
  });
  after(() => server.close());

  it('is an importable dashboard: a Prometheus input, unique ids, panels inside the 24-column grid', () => {
    assert.deepEqual(dashboard.__inputs.map((i) => [i.name, i.pluginId]), [['DS_PROMETHEUS', 'prometheus']]);
    assert.match(dashboard.uid, /^[a-z0-9-]{1,40}$/);
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    for (const panel of dashboard.panels) {
      assert.ok(panel.gridPos.x >= 0 && panel.gridPos.x + panel.gridPos.w <= 24, `${panel.title} fits the grid`);
      if (panel.type === 'row') continue;
      assert.equal(panel.datasource?.uid, '${DS_PROMETHEUS}', `${panel.title} uses the imported datasource`);
      assert.ok(panel.targets && panel.targets.length > 0, `${panel.title} has queries`);
      for (const target of panel.targets) assert.equal(target.datasource.uid, '${DS_PROMETHEUS}');
    }
  });

  it('every metric it queries exists in a scrape taken after a real flow', async () => {
    // A flow, so the labelled series exist (a counter without observations has no samples).
    const backend = Backend.of(server);
    const started = await backend.unify({ possessionType: 'mobile', phoneNumber: '+12025550141' });
    const client = new ProtocolClient(started.authToken!);
    await client.reportError('device/passive', 'no key store');
    await client.otpStart();
    await client.otpFinish((await latestMessage(server, '+12025550141')).code!);
    const families = parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text());
    const names = sampleNames(families);
    // The pool gauges exist on PostgreSQL only: in the SQLite pass they are checked against a
    // registry built for PostgreSQL, and the PostgreSQL pass checks them on the real scrape.
    const postgresOnly = sampleNames(parsePrometheusText(await new Metrics({ dialect: 'postgres', defaultMetrics: false }).registry.metrics()));
    const queries = [
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
      ...dashboard.templating.list.map((v) => v.query.query),
    ];
    const used = new Set(queries.flatMap(metricNames));
    assert.ok(used.size >= 15, `the dashboard uses ${used.size} metrics`);
    for (const name of used) {
      const pool = name.startsWith('handset_db_pool_');
      if (pool && server.server.deps.db.dialect !== 'postgres') assert.ok(postgresOnly.has(name), `${name} exists (PostgreSQL)`);
      else assert.ok(names.has(name), `${name} is in the scrape`);
    }
    // And the other way round: no platform metric is left off the dashboard.
    const platform = [...families.keys()].filter((f) => f.startsWith('handset_'));
    for (const family of platform) {
      assert.ok([...used].some((n) => n === family || n.startsWith(`${family}_`)), `${family} appears on the dashboard`);
    }
  });
});
