/**
 * The provider chain (protocol/channels.md CH2) over the real adapters and their local fakes:
 * failover on retryable failures (Twilio failing → Vonage takes the message), no failover on a
 * permanent one, a Retry-After window respected, routing by destination country.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { destinationCountry, ProviderChain, ProviderChainError } from '../../src/sms/providers/chain.js';
import { TwilioSmsProvider } from '../../src/sms/providers/twilio.js';
import { VonageSmsProvider } from '../../src/sms/providers/vonage.js';
import { WebhookSmsProvider } from '../../src/sms/providers/webhook.js';
import { TwilioFake } from '../support/fakes/twilio-fake.js';
import { VonageFake } from '../support/fakes/vonage-fake.js';
import { WebhookGatewayFake } from '../support/fakes/webhook-gateway-fake.js';

const UK = '+447700900123';
const US = '+14155550100';
const FR = '+33612345678';

describe('provider chain (failover and routing, against the fakes)', () => {
  const twilioFake = new TwilioFake();
  const vonageFake = new VonageFake();
  const gatewayFake = new WebhookGatewayFake();
  let clock = 1_000_000;
  let twilio: TwilioSmsProvider;
  /** Only for a Twilio that hangs: a short timeout there costs no flake (it never answers), anywhere else it would on a loaded machine. */
  let hangingTwilio: TwilioSmsProvider;
  let vonage: VonageSmsProvider;
  let webhook: WebhookSmsProvider;

  before(async () => {
    await Promise.all([twilioFake.start(), vonageFake.start(), gatewayFake.start()]);
    const twilioSettings = { accountSid: twilioFake.accountSid, authToken: twilioFake.authToken, from: '+15005550006', baseUrl: twilioFake.url };
    twilio = new TwilioSmsProvider({ ...twilioSettings, timeoutMs: 5000 });
    hangingTwilio = new TwilioSmsProvider({ ...twilioSettings, timeoutMs: 150 });
    vonage = new VonageSmsProvider({ apiKey: vonageFake.apiKey, apiSecret: vonageFake.apiSecret, from: 'Handset', baseUrl: vonageFake.url, timeoutMs: 2000 });
    webhook = new WebhookSmsProvider({ url: gatewayFake.endpoint, secret: gatewayFake.secret, timeoutMs: 2000 });
  });
  after(() => Promise.all([twilioFake.stop(), vonageFake.stop(), gatewayFake.stop()]));
  beforeEach(() => {
    for (const fake of [twilioFake, vonageFake, gatewayFake]) {
      fake.requests.length = 0;
      fake.violations.length = 0;
    }
  });

  const chain = (routes?: Map<string, string[]>, first: TwilioSmsProvider = twilio): ProviderChain =>
    new ProviderChain({ providers: [first, vonage, webhook], ...(routes ? { routes } : {}), now: () => clock });

  const counts = (): number[] => [twilioFake.requests.length, vonageFake.requests.length, gatewayFake.requests.length];

  for (const failure of ['server-error', 'rate-limited', 'hang', 'non-json'] as const) {
    it(`Twilio failing retryably (${failure}) → Vonage takes the message`, async () => {
      twilioFake.script(failure);
      const result = await chain(undefined, failure === 'hang' ? hangingTwilio : twilio).send({ to: US, body: 'code 1', reference: 'm1' });
      assert.equal(result.provider, 'vonage');
      assert.match(result.providerMessageId, /^[0-9A-F]{16}$/);
      assert.deepEqual(result.attempts.map((a) => a.provider), ['twilio', 'vonage']);
      assert.deepEqual(counts(), [1, 1, 0]);
      assert.deepEqual([...twilioFake.violations, ...vonageFake.violations], []);
      clock += 3_600_000; // past any Retry-After
    });
  }

  it('Twilio and Vonage failing retryably → the webhook gateway takes it', async () => {
    twilioFake.script('server-error');
    vonageFake.script('throttled');
    const result = await chain().send({ to: US, body: 'x', reference: 'm' });
    assert.equal(result.provider, 'webhook');
    assert.deepEqual(result.attempts, [
      { provider: 'twilio', outcome: 'provider-unavailable' },
      { provider: 'vonage', outcome: 'rate-limited' },
      { provider: 'webhook', outcome: 'sent' },
    ]);
  });

  for (const failure of ['invalid-number', 'opted-out', 'auth'] as const) {
    it(`a permanent failure at Twilio (${failure}) is not retried elsewhere`, async () => {
      twilioFake.script(failure);
      const error = await chain().send({ to: US, body: 'x', reference: 'm' }).catch((e: unknown) => e);
      assert.ok(error instanceof ProviderChainError);
      assert.equal(error.retryable, false);
      assert.equal(error.provider, 'twilio');
      assert.deepEqual(counts(), [1, 0, 0]);
      assert.equal(error.attempts.length, 1);
    });
  }

  it('every provider failing retryably → a retryable chain error listing each attempt', async () => {
    twilioFake.script('server-error');
    vonageFake.script('internal-error');
    gatewayFake.script('server-error');
    const error = await chain().send({ to: US, body: 'x', reference: 'm' }).catch((e: unknown) => e);
    assert.ok(error instanceof ProviderChainError && error.retryable);
    assert.equal(error.provider, 'webhook');
    assert.deepEqual(error.attempts.map((a) => a.outcome), ['provider-unavailable', 'provider-unavailable', 'provider-unavailable']);
  });

  it('a provider that answered 429 with Retry-After is skipped until the window has passed', async () => {
    const c = chain();
    twilioFake.retryAfterSeconds = 30;
    twilioFake.script('rate-limited');
    assert.equal((await c.send({ to: US, body: 'x', reference: 'a' })).provider, 'vonage');
    clock += 29_000;
    const second = await c.send({ to: US, body: 'x', reference: 'b' });
    assert.deepEqual(second.attempts, [
      { provider: 'twilio', outcome: 'skipped' },
      { provider: 'vonage', outcome: 'sent' },
    ]);
    assert.equal(twilioFake.requests.length, 1, 'Twilio not asked inside its window');
    clock += 2_000;
    assert.equal((await c.send({ to: US, body: 'x', reference: 'c' })).provider, 'twilio');
  });

  it('a 503 with Retry-After also parks the provider for that long', async () => {
    const c = chain();
    twilioFake.script({ raw: { status: 503, headers: { 'content-type': 'application/json', 'retry-after': '20' }, body: '{"code":20503,"message":"Service unavailable","status":503}' } });
    const first = await c.send({ to: US, body: 'x', reference: 'a' });
    assert.deepEqual(first.attempts.map((a) => a.outcome), ['provider-unavailable', 'sent']);
    clock += 19_000;
    assert.equal((await c.send({ to: US, body: 'x', reference: 'b' })).attempts[0]?.outcome, 'skipped');
    clock += 2_000;
    assert.equal((await c.send({ to: US, body: 'x', reference: 'c' })).provider, 'twilio');
  });

  it('when the only provider is waiting out its Retry-After, the chain answers rate-limited with the time left', async () => {
    const c = new ProviderChain({ providers: [twilio], now: () => clock });
    twilioFake.retryAfterSeconds = 10;
    twilioFake.script('rate-limited');
    const first = await c.send({ to: US, body: 'x', reference: 'a' }).catch((e: unknown) => e);
    assert.ok(first instanceof ProviderChainError && first.reason === 'rate-limited' && first.retryAfterMs === 10_000);
    clock += 4_000;
    const second = await c.send({ to: US, body: 'x', reference: 'b' }).catch((e: unknown) => e);
    assert.ok(second instanceof ProviderChainError && second.reason === 'rate-limited' && second.retryable);
    assert.equal(second.retryAfterMs, 6_000);
    assert.deepEqual(second.attempts, [{ provider: 'twilio', outcome: 'skipped' }]);
    assert.equal(twilioFake.requests.length, 1);
    clock += 3_600_000;
  });

  it('routes by destination country; other countries follow the default order', async () => {
    const c = chain(new Map([['GB', ['vonage', 'webhook']], ['FR', ['webhook']]]));
    assert.deepEqual(c.routeFor(UK), ['vonage', 'webhook']);
    assert.deepEqual(c.routeFor(FR), ['webhook']);
    assert.deepEqual(c.routeFor(US), ['twilio', 'vonage', 'webhook']);
    assert.equal((await c.send({ to: UK, body: 'x', reference: 'a' })).provider, 'vonage');
    assert.equal((await c.send({ to: FR, body: 'x', reference: 'b' })).provider, 'webhook');
    assert.equal((await c.send({ to: US, body: 'x', reference: 'c' })).provider, 'twilio');
    assert.deepEqual(counts(), [1, 1, 1]);
  });

  it('a route is complete: a GB message whose only provider fails is not sent through the others', async () => {
    const c = chain(new Map([['GB', ['vonage']]]));
    vonageFake.script('internal-error');
    const error = await c.send({ to: UK, body: 'x', reference: 'a' }).catch((e: unknown) => e);
    assert.ok(error instanceof ProviderChainError && error.retryable);
    assert.deepEqual(counts(), [0, 1, 0]);
  });

  it('a * route replaces the default order', async () => {
    const c = chain(new Map([['*', ['webhook', 'twilio']]]));
    assert.deepEqual(c.routeFor(US), ['webhook', 'twilio']);
    assert.equal((await c.send({ to: US, body: 'x', reference: 'a' })).provider, 'webhook');
  });

  it('a provider that throws something other than a ProviderError (a bug) counts as unavailable and is passed over', async () => {
    const broken = { name: 'broken', send: () => Promise.reject(new TypeError('bug')) };
    const c = new ProviderChain({ providers: [broken, vonage], now: () => clock });
    const result = await c.send({ to: US, body: 'x', reference: 'a' });
    assert.equal(result.provider, 'vonage');
    assert.deepEqual(result.attempts[0], { provider: 'broken', outcome: 'provider-unavailable' });
  });

  it('refuses an empty chain and a route naming an unknown provider', () => {
    assert.throws(() => new ProviderChain({ providers: [] }), /at least one provider/);
    assert.throws(() => new ProviderChain({ providers: [twilio], routes: new Map([['GB', ['vonage']]]) }), /unknown provider vonage/);
  });

  it('places numbers in countries, test ranges by their calling code', () => {
    assert.equal(destinationCountry(UK), 'GB'); // Ofcom drama range: not "valid", still GB
    assert.equal(destinationCountry(US), 'US');
    assert.equal(destinationCountry(FR), 'FR');
    assert.equal(destinationCountry('+12005550100'), 'US'); // the sandbox's unassigned area code
    assert.equal(destinationCountry('+80012345678'), undefined);
    assert.equal(destinationCountry('nonsense'), undefined);
  });
});
