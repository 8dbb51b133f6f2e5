/**
 * @module sms/providers/config
 * SMS providers from the environment (issue 11; docs/channels.md, "Configuration"). A pure
 * function: it reads the variables given, builds the adapters and the chain, and throws a
 * {@link ConfigError} naming the variable at fault. Messages never repeat a secret's value, nor a
 * URL's (a URL may carry credentials).
 */
import { getCountries, type CountryCode } from 'libphonenumber-js/max';
import { ConfigError } from '../../config.js';
import { DEFAULT_ROUTE, ProviderChain, type SmsRoutes } from './chain.js';
import { DEFAULT_PROVIDER_TIMEOUT_MS } from './http.js';
import type { ProviderLog, SmsProvider } from './provider.js';
import { TwilioSmsProvider } from './twilio.js';
import { VONAGE_SIGNATURE_METHODS, type VonageSignatureMethod } from './vonage-receipt.js';
import { VonageSmsProvider } from './vonage.js';
import { WebhookSmsProvider } from './webhook.js';

/** Provider names `HANDSET_SMS_PROVIDERS` accepts. */
export const SMS_PROVIDER_NAMES = ['twilio', 'vonage', 'webhook'] as const;
export type SmsProviderName = (typeof SMS_PROVIDER_NAMES)[number];

/** Callback URLs per provider; the courier passes them once it serves the callback routes. */
export interface SmsCallbackUrls {
  twilio?: string;
  vonage?: string;
  webhook?: string;
}

/** What {@link smsProvidersFromEnv} builds. */
export interface SmsProviders {
  /** The adapters, in `HANDSET_SMS_PROVIDERS` order. */
  providers: SmsProvider[];
  chain: ProviderChain;
  /** What the callback verifiers need (secrets stay here, never in logs). */
  callbacks: {
    twilioAuthToken?: string;
    vonageSignature?: { secret: string; method: VonageSignatureMethod };
    webhookSecret?: string;
  };
}

type Env = Readonly<Record<string, string | undefined>>;

function value(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

function required(env: Env, name: string, provider: string): string {
  const v = value(env, name);
  if (v === undefined) throw new ConfigError(`${name} is required when HANDSET_SMS_PROVIDERS includes ${provider}`);
  return v;
}

const LOOPBACK = /^(localhost|127(?:\.[0-9]{1,3}){3}|\[::1\])$/i;

/** An https URL (http only to a loopback address: the local fakes), without credentials or fragment. */
function url(env: Env, name: string, fallback?: string): string | undefined {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a URL`);
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && LOOPBACK.test(parsed.hostname))) {
    throw new ConfigError(`${name} must be an https URL (http only to localhost)`);
  }
  if (parsed.username !== '' || parsed.password !== '') throw new ConfigError(`${name} must not contain credentials`);
  if (parsed.hash !== '') throw new ConfigError(`${name} must not have a fragment`);
  return raw;
}

const E164 = /^\+[1-9][0-9]{6,14}$/;
/** Alphanumeric sender id: 1–11 letters, digits and spaces, at least one letter. */
const ALPHANUMERIC_SENDER = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;

function sender(env: Env, name: string, provider: string): string {
  const v = required(env, name, provider);
  if (!E164.test(v) && !ALPHANUMERIC_SENDER.test(v)) {
    throw new ConfigError(`${name} must be an E.164 number (+15551234567) or an alphanumeric sender id of at most 11 characters`);
  }
  return v;
}

function twilio(env: Env, timeoutMs: number, log: ProviderLog | undefined, callbackUrl: string | undefined): TwilioSmsProvider {
  const accountSid = required(env, 'HANDSET_TWILIO_ACCOUNT_SID', 'twilio');
  if (!/^AC[0-9a-fA-F]{32}$/.test(accountSid)) throw new ConfigError('HANDSET_TWILIO_ACCOUNT_SID must be AC followed by 32 hex digits');
  const authToken = required(env, 'HANDSET_TWILIO_AUTH_TOKEN', 'twilio');
  const hasFrom = value(env, 'HANDSET_TWILIO_FROM') !== undefined;
  const service = value(env, 'HANDSET_TWILIO_MESSAGING_SERVICE_SID');
  if (hasFrom && service !== undefined) {
    throw new ConfigError('set HANDSET_TWILIO_FROM or HANDSET_TWILIO_MESSAGING_SERVICE_SID, not both');
  }
  if (!hasFrom && service === undefined) {
    throw new ConfigError('HANDSET_TWILIO_FROM or HANDSET_TWILIO_MESSAGING_SERVICE_SID is required when HANDSET_SMS_PROVIDERS includes twilio');
  }
  if (service !== undefined && !/^MG[0-9a-fA-F]{32}$/.test(service)) {
    throw new ConfigError('HANDSET_TWILIO_MESSAGING_SERVICE_SID must be MG followed by 32 hex digits');
  }
  const baseUrl = url(env, 'HANDSET_TWILIO_BASE_URL');
  return new TwilioSmsProvider({
    accountSid,
    authToken,
    ...(hasFrom ? { from: sender(env, 'HANDSET_TWILIO_FROM', 'twilio') } : { messagingServiceSid: service as string }),
    ...(baseUrl !== undefined ? { baseUrl } : {}),
    ...(callbackUrl !== undefined ? { statusCallbackUrl: callbackUrl } : {}),
    timeoutMs,
    ...(log ? { log } : {}),
  });
}

function vonage(env: Env, timeoutMs: number, log: ProviderLog | undefined, callbackUrl: string | undefined): VonageSmsProvider {
  const apiKey = required(env, 'HANDSET_VONAGE_API_KEY', 'vonage');
  const apiSecret = required(env, 'HANDSET_VONAGE_API_SECRET', 'vonage');
  const from = sender(env, 'HANDSET_VONAGE_FROM', 'vonage');
  const baseUrl = url(env, 'HANDSET_VONAGE_BASE_URL');
  return new VonageSmsProvider({
    apiKey,
    apiSecret,
    from,
    ...(baseUrl !== undefined ? { baseUrl } : {}),
    ...(callbackUrl !== undefined ? { callbackUrl } : {}),
    timeoutMs,
    ...(log ? { log } : {}),
  });
}

function vonageSignature(env: Env): { secret: string; method: VonageSignatureMethod } | undefined {
  const secret = value(env, 'HANDSET_VONAGE_SIGNATURE_SECRET');
  const method = value(env, 'HANDSET_VONAGE_SIGNATURE_METHOD') ?? 'md5hash';
  if (!(VONAGE_SIGNATURE_METHODS as readonly string[]).includes(method)) {
    throw new ConfigError(`HANDSET_VONAGE_SIGNATURE_METHOD must be one of ${VONAGE_SIGNATURE_METHODS.join(', ')}`);
  }
  return secret === undefined ? undefined : { secret, method: method as VonageSignatureMethod };
}

/** A Standard Webhooks secret: `whsec_` + base64 of at least 24 bytes (the spec's lower bound). */
function webhookSecret(env: Env): string {
  const secret = required(env, 'HANDSET_WEBHOOK_SMS_SECRET', 'webhook');
  const body = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : undefined;
  if (body === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(body) || Buffer.from(body, 'base64').length < 24) {
    throw new ConfigError('HANDSET_WEBHOOK_SMS_SECRET must be whsec_ followed by the base64 of at least 24 random bytes');
  }
  return secret;
}

/**
 * `HANDSET_SMS_ROUTES`: comma-separated `COUNTRY:provider>provider…` entries, e.g.
 * `GB:vonage>twilio,US:twilio,*:twilio>vonage`. A country's list is complete: only those
 * providers are tried for it, in that order. `*` replaces the `HANDSET_SMS_PROVIDERS` order for
 * every other country.
 */
export function parseSmsRoutes(raw: string | undefined, configured: readonly string[]): SmsRoutes {
  const routes = new Map<string, string[]>();
  if (raw === undefined || raw.trim() === '') return routes;
  const countries = new Set<string>(getCountries() as CountryCode[]);
  for (const entry of raw.split(',')) {
    const match = /^\s*([A-Za-z]{2}|\*)\s*:\s*([a-z]+(?:\s*>\s*[a-z]+)*)\s*$/.exec(entry);
    if (!match) throw new ConfigError(`HANDSET_SMS_ROUTES: "${entry.trim()}" is not COUNTRY:provider>provider (e.g. GB:vonage>twilio)`);
    const country = (match[1] as string).toUpperCase();
    if (country !== DEFAULT_ROUTE && !countries.has(country)) throw new ConfigError(`HANDSET_SMS_ROUTES: unknown country code ${country}`);
    if (routes.has(country)) throw new ConfigError(`HANDSET_SMS_ROUTES: ${country} is routed twice`);
    const names = (match[2] as string).split('>').map((n) => n.trim());
    for (const name of names) {
      if (!configured.includes(name)) throw new ConfigError(`HANDSET_SMS_ROUTES: ${country} names ${name}, which is not in HANDSET_SMS_PROVIDERS`);
    }
    if (new Set(names).size !== names.length) throw new ConfigError(`HANDSET_SMS_ROUTES: ${country} names a provider twice`);
    routes.set(country, names);
  }
  return routes;
}

/**
 * Builds the SMS providers and their chain from `HANDSET_SMS_PROVIDERS` (ordered, e.g.
 * `twilio,vonage`) and each provider's variables. Returns null when `HANDSET_SMS_PROVIDERS` is
 * unset or empty (the outbox stays the sender). Throws a {@link ConfigError} naming the variable.
 */
export function smsProvidersFromEnv(
  env: Env,
  options: { log?: ProviderLog; callbackUrls?: SmsCallbackUrls } = {},
): SmsProviders | null {
  const list = value(env, 'HANDSET_SMS_PROVIDERS');
  if (list === undefined) return null;
  const names = list.split(',').map((n) => n.trim().toLowerCase());
  for (const name of names) {
    if (!(SMS_PROVIDER_NAMES as readonly string[]).includes(name)) {
      throw new ConfigError(`HANDSET_SMS_PROVIDERS: unknown provider "${name}" (known: ${SMS_PROVIDER_NAMES.join(', ')})`);
    }
  }
  if (new Set(names).size !== names.length) throw new ConfigError('HANDSET_SMS_PROVIDERS names a provider twice');

  const timeoutRaw = value(env, 'HANDSET_SMS_TIMEOUT_MS');
  const timeoutMs = timeoutRaw === undefined ? DEFAULT_PROVIDER_TIMEOUT_MS : Number(timeoutRaw);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 60_000) {
    throw new ConfigError('HANDSET_SMS_TIMEOUT_MS must be an integer from 100 to 60000 (milliseconds)');
  }

  const { log, callbackUrls = {} } = options;
  const callbacks: SmsProviders['callbacks'] = {};
  const providers: SmsProvider[] = names.map((name) => {
    switch (name as SmsProviderName) {
      case 'twilio': {
        const provider = twilio(env, timeoutMs, log, callbackUrls.twilio);
        callbacks.twilioAuthToken = value(env, 'HANDSET_TWILIO_AUTH_TOKEN') as string;
        return provider;
      }
      case 'vonage': {
        // Receipts are asked for only when they can be verified: an unsigned receipt could be forged
        // by anyone who learns a message id. Without the secret, Vonage messages stay `sent`.
        const signature = vonageSignature(env);
        if (signature) callbacks.vonageSignature = signature;
        else log?.warn({}, 'Vonage delivery receipts are off: set HANDSET_VONAGE_SIGNATURE_SECRET to receive signed receipts');
        return vonage(env, timeoutMs, log, signature ? callbackUrls.vonage : undefined);
      }
      case 'webhook': {
        const target = url(env, 'HANDSET_WEBHOOK_SMS_URL');
        if (target === undefined) throw new ConfigError('HANDSET_WEBHOOK_SMS_URL is required when HANDSET_SMS_PROVIDERS includes webhook');
        const secret = webhookSecret(env);
        callbacks.webhookSecret = secret;
        return new WebhookSmsProvider({
          url: target,
          secret,
          ...(callbackUrls.webhook !== undefined ? { callbackUrl: callbackUrls.webhook } : {}),
          timeoutMs,
          ...(log ? { log } : {}),
        });
      }
    }
  });
  const routes = parseSmsRoutes(value(env, 'HANDSET_SMS_ROUTES'), names);
  const chain = new ProviderChain({ providers, routes, ...(log ? { log } : {}) });
  return { providers, chain, callbacks };
}
