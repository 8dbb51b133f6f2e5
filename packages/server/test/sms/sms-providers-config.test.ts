/**
 * smsProvidersFromEnv: the providers and chain built from HANDSET_SMS_PROVIDERS and each provider's
 * variables, HANDSET_SMS_ROUTES, and every refusal naming its variable without repeating a secret.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config.js';
import { parseSmsRoutes, smsProvidersFromEnv } from '../../src/sms/providers/config.js';

const SID = `AC${'0123456789abcdef'.repeat(2)}`;
const TOKEN = 'twilio-auth-token-very-secret';
const VONAGE_SECRET = 'vonage-api-secret-very-secret';
const WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

const TWILIO = { HANDSET_TWILIO_ACCOUNT_SID: SID, HANDSET_TWILIO_AUTH_TOKEN: TOKEN, HANDSET_TWILIO_FROM: '+15005550006' };
const VONAGE = { HANDSET_VONAGE_API_KEY: 'abcd1234', HANDSET_VONAGE_API_SECRET: VONAGE_SECRET, HANDSET_VONAGE_FROM: 'Handset' };
const WEBHOOK = { HANDSET_WEBHOOK_SMS_URL: 'https://gateway.example/sms', HANDSET_WEBHOOK_SMS_SECRET: WEBHOOK_SECRET };
const ALL = { HANDSET_SMS_PROVIDERS: 'twilio,vonage,webhook', ...TWILIO, ...VONAGE, ...WEBHOOK };

/** Asserts a ConfigError whose message matches and repeats no secret. */
function refuses(env: Record<string, string>, message: RegExp): void {
  assert.throws(
    () => smsProvidersFromEnv(env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, message);
      for (const secret of [TOKEN, VONAGE_SECRET, WEBHOOK_SECRET, 'p4ss']) assert.ok(!error.message.includes(secret), `${secret} in "${error.message}"`);
      return true;
    },
  );
}

describe('SMS providers from the environment', () => {
  it('is null without HANDSET_SMS_PROVIDERS (the outbox stays the sender)', () => {
    assert.equal(smsProvidersFromEnv({}), null);
    assert.equal(smsProvidersFromEnv({ HANDSET_SMS_PROVIDERS: ' ', ...TWILIO }), null);
  });

  it('builds the providers in the listed order, the chain, and what the callback verifiers need', () => {
    const built = smsProvidersFromEnv({ ...ALL, HANDSET_SMS_PROVIDERS: 'vonage, twilio,webhook', HANDSET_VONAGE_SIGNATURE_SECRET: 'sig', HANDSET_VONAGE_SIGNATURE_METHOD: 'sha256' });
    assert.ok(built);
    assert.deepEqual(built.providers.map((p) => p.name), ['vonage', 'twilio', 'webhook']);
    assert.deepEqual(built.chain.routeFor('+14155550100'), ['vonage', 'twilio', 'webhook']);
    assert.deepEqual(built.callbacks, { twilioAuthToken: TOKEN, vonageSignature: { secret: 'sig', method: 'sha256' }, webhookSecret: WEBHOOK_SECRET });
  });

  it('accepts a messaging service instead of a From number, and loopback http base URLs (the fakes)', () => {
    const built = smsProvidersFromEnv({
      HANDSET_SMS_PROVIDERS: 'twilio',
      HANDSET_TWILIO_ACCOUNT_SID: SID,
      HANDSET_TWILIO_AUTH_TOKEN: TOKEN,
      HANDSET_TWILIO_MESSAGING_SERVICE_SID: `MG${'a'.repeat(32)}`,
      HANDSET_TWILIO_BASE_URL: 'http://127.0.0.1:9999',
    });
    assert.deepEqual(built?.providers.map((p) => p.name), ['twilio']);
  });

  it('applies HANDSET_SMS_ROUTES to the chain', () => {
    const built = smsProvidersFromEnv({ ...ALL, HANDSET_SMS_ROUTES: 'GB:vonage>twilio, us:twilio, *:webhook' });
    assert.deepEqual(built?.chain.routeFor('+447700900123'), ['vonage', 'twilio']);
    assert.deepEqual(built?.chain.routeFor('+14155550100'), ['twilio']);
    assert.deepEqual(built?.chain.routeFor('+33612345678'), ['webhook']);
  });

  const refusals: [string, Record<string, string>, RegExp][] = [
    ['an unknown provider name', { ...ALL, HANDSET_SMS_PROVIDERS: 'twilio,sinch' }, /HANDSET_SMS_PROVIDERS: unknown provider "sinch"/],
    ['a provider listed twice', { ...ALL, HANDSET_SMS_PROVIDERS: 'twilio,twilio' }, /HANDSET_SMS_PROVIDERS names a provider twice/],
    ['a missing Twilio account SID', { ...ALL, HANDSET_TWILIO_ACCOUNT_SID: '' }, /HANDSET_TWILIO_ACCOUNT_SID is required/],
    ['a malformed Twilio account SID', { ...ALL, HANDSET_TWILIO_ACCOUNT_SID: 'AC123' }, /HANDSET_TWILIO_ACCOUNT_SID must be AC/],
    ['a missing Twilio auth token', { ...ALL, HANDSET_TWILIO_AUTH_TOKEN: '' }, /HANDSET_TWILIO_AUTH_TOKEN is required/],
    ['both From and a messaging service', { ...ALL, HANDSET_TWILIO_MESSAGING_SERVICE_SID: `MG${'a'.repeat(32)}` }, /HANDSET_TWILIO_FROM or HANDSET_TWILIO_MESSAGING_SERVICE_SID, not both/],
    ['neither From nor a messaging service', { ...ALL, HANDSET_TWILIO_FROM: '' }, /HANDSET_TWILIO_FROM or HANDSET_TWILIO_MESSAGING_SERVICE_SID is required/],
    ['a malformed messaging service SID', { ...ALL, HANDSET_TWILIO_FROM: '', HANDSET_TWILIO_MESSAGING_SERVICE_SID: 'MG1' }, /HANDSET_TWILIO_MESSAGING_SERVICE_SID must be MG/],
    ['a malformed From', { ...ALL, HANDSET_TWILIO_FROM: '07700 900123 call me' }, /HANDSET_TWILIO_FROM must be an E.164 number/],
    ['a base URL that is not a URL', { ...ALL, HANDSET_TWILIO_BASE_URL: 'api.twilio.com' }, /HANDSET_TWILIO_BASE_URL is not a URL/],
    ['a plain-http base URL off loopback', { ...ALL, HANDSET_TWILIO_BASE_URL: 'http://api.twilio.com' }, /HANDSET_TWILIO_BASE_URL must be an https URL/],
    ['a base URL with credentials', { ...ALL, HANDSET_VONAGE_BASE_URL: 'https://u:p4ss@rest.nexmo.com' }, /HANDSET_VONAGE_BASE_URL must not contain credentials/],
    ['a missing Vonage API key', { ...ALL, HANDSET_VONAGE_API_KEY: '' }, /HANDSET_VONAGE_API_KEY is required/],
    ['a missing Vonage API secret', { ...ALL, HANDSET_VONAGE_API_SECRET: '' }, /HANDSET_VONAGE_API_SECRET is required/],
    ['a missing Vonage sender', { ...ALL, HANDSET_VONAGE_FROM: '' }, /HANDSET_VONAGE_FROM is required/],
    ['a sender id longer than 11', { ...ALL, HANDSET_VONAGE_FROM: 'HandsetPlatform' }, /HANDSET_VONAGE_FROM must be an E.164 number/],
    ['an unknown Vonage signature method', { ...ALL, HANDSET_VONAGE_SIGNATURE_SECRET: 's', HANDSET_VONAGE_SIGNATURE_METHOD: 'sha3' }, /HANDSET_VONAGE_SIGNATURE_METHOD must be one of md5hash, md5, sha1, sha256, sha512/],
    ['a missing webhook URL', { ...ALL, HANDSET_WEBHOOK_SMS_URL: '' }, /HANDSET_WEBHOOK_SMS_URL is required/],
    ['a plain-http webhook URL', { ...ALL, HANDSET_WEBHOOK_SMS_URL: 'http://gateway.example/sms' }, /HANDSET_WEBHOOK_SMS_URL must be an https URL/],
    ['a webhook URL with a fragment', { ...ALL, HANDSET_WEBHOOK_SMS_URL: 'https://gateway.example/sms#x' }, /HANDSET_WEBHOOK_SMS_URL must not have a fragment/],
    ['a missing webhook secret', { ...ALL, HANDSET_WEBHOOK_SMS_SECRET: '' }, /HANDSET_WEBHOOK_SMS_SECRET is required/],
    ['a webhook secret without whsec_', { ...ALL, HANDSET_WEBHOOK_SMS_SECRET: Buffer.alloc(32).toString('base64') }, /HANDSET_WEBHOOK_SMS_SECRET must be whsec_/],
    ['a short webhook secret', { ...ALL, HANDSET_WEBHOOK_SMS_SECRET: `whsec_${Buffer.alloc(8).toString('base64')}` }, /at least 24 random bytes/],
    ['a non-base64 webhook secret', { ...ALL, HANDSET_WEBHOOK_SMS_SECRET: 'whsec_p4ss!!word-not-base64-at-all-xxxxxxxx' }, /HANDSET_WEBHOOK_SMS_SECRET must be whsec_/],
    ['a timeout out of range', { ...ALL, HANDSET_SMS_TIMEOUT_MS: '5' }, /HANDSET_SMS_TIMEOUT_MS must be an integer from 100 to 60000/],
    ['a timeout that is not a number', { ...ALL, HANDSET_SMS_TIMEOUT_MS: 'soon' }, /HANDSET_SMS_TIMEOUT_MS/],
    ['a malformed route', { ...ALL, HANDSET_SMS_ROUTES: 'GB=vonage' }, /HANDSET_SMS_ROUTES: "GB=vonage" is not COUNTRY:provider/],
    ['a route to an unknown country', { ...ALL, HANDSET_SMS_ROUTES: 'XX:vonage' }, /HANDSET_SMS_ROUTES: unknown country code XX/],
    ['a route to a provider not configured', { ...ALL, HANDSET_SMS_PROVIDERS: 'twilio', HANDSET_SMS_ROUTES: 'GB:vonage' }, /GB names vonage, which is not in HANDSET_SMS_PROVIDERS/],
    ['a country routed twice', { ...ALL, HANDSET_SMS_ROUTES: 'GB:vonage,gb:twilio' }, /GB is routed twice/],
    ['a route naming a provider twice', { ...ALL, HANDSET_SMS_ROUTES: 'GB:vonage>vonage' }, /GB names a provider twice/],
  ];
  for (const [what, env, message] of refusals) {
    it(`refuses ${what}`, () => refuses(env, message));
  }

  it('parses routes on their own (no routes → empty)', () => {
    assert.equal(parseSmsRoutes(undefined, ['twilio']).size, 0);
    assert.deepEqual([...parseSmsRoutes('de:twilio>vonage', ['twilio', 'vonage'])], [['DE', ['twilio', 'vonage']]]);
  });
});
