/**
 * Property: whatever flows run and whatever URLs are requested, no label value of a scrape holds
 * a phone number, a token, a secret or an id, and every label of the platform's own metrics takes
 * a value from its documented set (docs/operations.md). fast-check draws the numbers, the flows,
 * and stray requests that put numbers and tokens in paths and queries.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { SESSION_CHANNELS } from '../../src/metrics/session-channel.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { parsePrometheusText } from '../support/prometheus-text.js';
import { Backend, latestMessage } from '../support/server-api.js';

/** The values each label of the `handset_*` metrics may take. */
const VOCABULARY: Record<string, (value: string) => boolean> = {
  possession_type: (v) => ['mobile', 'desktop', 'none'].includes(v),
  channel: (v) => (SESSION_CHANNELS as readonly string[]).includes(v),
  outcome: (v) => ['succeeded', 'failed'].includes(v),
  provider: (v) => v === 'outbox',
  country: (v) => /^[A-Z]{2}$/.test(v) || v === 'unknown',
  method: (v) => /^[A-Z]{3,7}$/.test(v),
  dialect: (v) => v === 'sqlite' || v === 'postgres',
  kind: (v) => ['select', 'insert', 'update', 'delete', 'other'].includes(v),
  le: (v) => v === '+Inf' || /^\d+(\.\d+)?(e-\d+)?$/.test(v),
  // handset_policy_decisions_total: rule ids of the policy file, its actions (docs/fraud-policy.md).
  rule: (v) => /^[a-z0-9][a-z0-9_.-]{0,63}$/.test(v),
  action: (v) => ['allow', 'flag', 'deny_send', 'require_otp', 'fail', 'shadow'].includes(v),
};

const phone = fc.oneof(
  // Not 900: premium rate, which the default fraud policy sends no text to (docs/fraud-policy.md).
  fc.tuple(fc.integer({ min: 201, max: 989 }).filter((area) => area !== 900), fc.integer({ min: 0, max: 9999 })).map(([area, line]) => `+1${area}555${String(line).padStart(4, '0')}`),
  fc.integer({ min: 0, max: 99_999 }).map((n) => `+4477009${String(n).padStart(5, '0')}`),
  fc.integer({ min: 0, max: 99_999_999 }).map((n) => `+336${String(n).padStart(8, '0')}`),
);
const flow = fc.constantFrom('otp', 'wrong-otp', 'link', 'bind', 'mobile-auth-miss');

describe('metric labels hold no personal data or secrets', () => {
  let server: TestServer;
  let backend: Backend;
  const secrets = new Set<string>();
  before(async () => {
    server = await startTestServer();
    backend = Backend.of(server);
    secrets.add(server.clientSecret);
    secrets.add(server.clientId);
  });
  after(() => server.close());

  async function run(kind: string, number: string): Promise<void> {
    const possessionType = kind === 'link' ? 'desktop' : kind === 'bind' ? 'none' : 'mobile';
    const target = possessionType === 'desktop' ? { finalTargetUrl: 'https://shop.example.com/done' } : {};
    const started = await backend.unify({ possessionType, phoneNumber: number, clientRequestId: `req-${number}`, ...target });
    for (const s of [number, number.slice(1), number.slice(-10), started.authToken!, started.correlationId, await backend.token()]) secrets.add(s);
    const client = new ProtocolClient(started.authToken!);
    if (kind === 'bind') {
      await client.reportError('device/passive', 'no key store');
      await backend.bind(started.correlationId, number);
    } else if (kind === 'link') {
      await client.instantLinkStart();
      const { link } = await latestMessage(server, number);
      secrets.add(new URL(link!).pathname.split('/').pop()!);
      await fetch(link!, { redirect: 'manual' });
    } else if (kind === 'mobile-auth-miss') {
      await client.reportError('device/passive', 'no key store');
      const { start } = await client.mobileAuth();
      const redirect = start.body.data?.redirectUrl;
      if (redirect) secrets.add(new URL(redirect).pathname.split('/').pop()!);
    } else {
      await client.reportError('device/passive', 'no key store');
      await client.otpStart();
      const { code } = await latestMessage(server, number);
      await client.otpFinish(kind === 'otp' ? code! : code === '0000' ? '1111' : '0000');
    }
    // Stray requests that carry the number and the tokens in the path and the query.
    await fetch(`${server.url}/v1/il/${encodeURIComponent(started.authToken!.slice(0, 90))}`);
    await fetch(`${server.url}/${encodeURIComponent(number)}?token=${encodeURIComponent(started.authToken!)}`);
    await fetch(`${server.url}/v1/client/status?token=${encodeURIComponent(started.authToken!)}`);
    await fetch(`${server.url}/v1/sandbox/carrier/${started.correlationId}?r=${encodeURIComponent(number)}`);
  }

  it('after random flows and stray requests, every label value is from its vocabulary and holds no secret', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(flow, phone), { minLength: 1, maxLength: 3 }), async (runs) => {
        for (const [kind, number] of runs) await run(kind, number);
      }),
      { numRuns: 6, seed: 20261201 },
    );
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const families = parsePrometheusText(text);
    let checked = 0;
    for (const family of families.values()) {
      for (const sample of family.samples) {
        for (const [name, value] of Object.entries(sample.labels)) {
          checked++;
          for (const secret of secrets) assert.ok(!value.includes(secret), `${sample.name} label ${name}="${value}" holds a secret`);
          assert.doesNotMatch(value, /\d{7,}/, `${sample.name} label ${name}="${value}" holds a long digit run`);
          if (!family.name.startsWith('handset_')) continue;
          if (name === 'route') {
            const method = sample.labels.method!;
            assert.ok(value === 'unmatched' || server.server.app.hasRoute({ method, url: value }), `route label "${value}" is a registered pattern`);
          } else if (name === 'status') {
            assert.match(value, family.name === 'handset_messages_total' ? /^(sent|failed)$/ : /^[1-5]\d\d$/);
          } else {
            assert.ok(VOCABULARY[name]?.(value), `${family.name}: label ${name}="${value}" is outside its documented set`);
          }
        }
      }
    }
    assert.ok(checked > 100, `checked ${checked} label values`);
    // The raw text too, not only what the parser returned.
    for (const secret of secrets) assert.ok(!text.includes(secret), 'no secret anywhere in the scrape');
  });
});
