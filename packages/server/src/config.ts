/**
 * @module config
 * One configuration object with self-hosting defaults, read from CLI flags and `HANDSET_*`
 * environment variables (flags win), validated and frozen. Insecure development defaults are
 * listed by {@link insecureDefaults} so start-up can warn about each one loudly.
 */
import { isIP } from 'node:net';
// The schema-free part of the protocol: every CLI command loads this file, and the package index
// would load the TypeBox schemas too (~700 modules) for two constants.
import { INSTANT_LINK_TTL_SECONDS, OUTCOME_RETENTION_SECONDS } from '@handset/protocol/browser';
import { normalizePhone } from './lib/phone.js';

/**
 * Abuse bounds on what is reachable without a client secret (docs/errors.md, 429 8012). Each is a
 * number of requests per fixed window; 0 turns that bound off.
 */
export interface AbuseLimits {
  /** Per address per minute: client-protocol calls without a valid authToken, Instant Links, the sandbox carrier. */
  publicPerIpPerMinute: number;
  /** Per minute, all addresses together: client-protocol calls without a valid authToken. */
  publicGlobalPerMinute: number;
  /** New challenge rows per address per challenge lifetime (300 s), for calls without an authToken. */
  challengesPerIp: number;
  /** Per session per minute: client-protocol calls with a valid authToken. */
  sessionPerMinute: number;
  /** `POST /token` per client id per minute (counted once the credentials check). */
  tokenPerClientPerMinute: number;
  /** `POST /token` per address per minute. */
  tokenPerIpPerMinute: number;
  /** Failed `/token` credentials per address per 15 minutes; then the address gets 429 until the window ends. */
  tokenFailuresPerIp: number;
}

/** Every abuse bound off: test servers and benchmarks that send everything from one address. */
export const NO_ABUSE_LIMITS: Readonly<AbuseLimits> = Object.freeze({
  publicPerIpPerMinute: 0,
  publicGlobalPerMinute: 0,
  challengesPerIp: 0,
  sessionPerMinute: 0,
  tokenPerClientPerMinute: 0,
  tokenPerIpPerMinute: 0,
  tokenFailuresPerIp: 0,
});

/** Fastify's `trustProxy`: false, or the addresses/CIDRs of the proxies whose X-Forwarded-For is believed. */
export type TrustProxy = false | string[];

export interface Config {
  port: number;
  host: string;
  /** SQLite path, `:memory:`, or a `postgres://` URL. */
  databaseUrl: string;
  /** The platform's public origin: authToken `endp` and the base of Instant Links (decision C5). */
  publicUrl: string;
  sandbox: boolean;
  /**
   * True unless development mode was asked for (`--dev`, `HANDSET_DEV=1`): it hides `/dev/outbox`
   * and the sandbox carrier, and needs a way to deliver texts (an SMS provider, or sandbox mode)
   * to start. `NODE_ENV` plays no part: an unset variable must not open development pages.
   */
  production: boolean;
  outcomeRetentionSeconds: number;
  instantLinkTtlSeconds: number;
  /** E.164 numbers the sandbox carrier recognises for Mobile Auth. */
  mobileAuthNumbers: string[];
  /**
   * The number the sandbox carrier reports as the browser's line when a session starts without a
   * number (Mobile Auth number discovery); null: no discovery, the person types the number.
   */
  mobileAuthLine: string | null;
  /** PEM of the ES256 authToken signing key; null means "generate and keep one in the database". */
  signingKeyPem: string | null;
  /** PEM keys authTokens may also be signed with (verification only), for rotating the signing key across instances. */
  acceptedSigningKeysPem: string | null;
  /** Requests per second per client on `/v3/*` before 429 (0 turns the limit off). */
  rateLimitPerSecond: number;
  /** Abuse bounds on unauthenticated routes, `/token` and authToken calls. */
  limits: AbuseLimits;
  /** Which proxies' `X-Forwarded-For` names the client address the per-address limits count by. */
  trustProxy: TrustProxy;
  /** Bearer token `/metrics` requires (`HANDSET_METRICS_TOKEN`); null: none (docs/operations.md). */
  metricsToken: string | null;
  /** A second listener that serves `/metrics` alone (`HANDSET_METRICS_ADDRESS`, e.g. 127.0.0.1:9464); null: none. */
  metricsAddress: MetricsAddress | null;
  /** Where the landing page links for documentation (`HANDSET_DOCS_URL`); null: it names the docs/ files. */
  docsUrl: string | null;
  logLevel: string;
}

/** Where the internal metrics listener binds. */
export interface MetricsAddress {
  host: string;
  port: number;
}

/** Options as they come from the command line; every one has a `HANDSET_*` variable. */
export interface ConfigInput {
  port?: string | number;
  host?: string;
  database?: string;
  publicUrl?: string;
  sandbox?: boolean;
  /** Development mode: the outbox page, the sandbox carrier, texts kept in the outbox (env HANDSET_DEV). */
  dev?: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const DEFAULT_DATABASE = './data/handset.db';

function bool(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`${name}: expected a boolean (1/0, true/false, yes/no, on/off), got "${value}"`);
}

function int(name: string, value: string | number | undefined, fallback: number, min = 0): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${name} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * `HANDSET_TRUST_PROXY`: unset or `off` trusts no proxy (the socket address counts); otherwise a
 * comma-separated list of proxy addresses or CIDRs (or `loopback`, `linklocal`, `uniquelocal`).
 * Trusting any peer (`true`) or a hop count is refused: a direct caller could then choose the
 * address it is counted under.
 */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const raw = value?.trim() ?? '';
  if (raw === '' || /^(off|false|no)$/i.test(raw)) return false;
  const entries = raw.split(',').map((e) => e.trim());
  for (const entry of entries) {
    if (PROXY_NAMES.has(entry)) continue;
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    const maxPrefix = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= maxPrefix);
    if (family === 0 || !prefixOk || extra !== undefined) {
      throw new ConfigError(`HANDSET_TRUST_PROXY: "${entry}" is not an address, a CIDR or loopback/linklocal/uniquelocal`);
    }
  }
  return entries;
}

/**
 * `HANDSET_METRICS_ADDRESS`: `HOST:PORT` (`127.0.0.1:9464`, `[::1]:9464`, `10.0.0.5:9464`). A
 * bare port is refused: the point of the setting is choosing the interface.
 */
export function parseMetricsAddress(value: string | undefined): MetricsAddress | null {
  const raw = value?.trim() ?? '';
  if (raw === '') return null;
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(raw);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!match || !host || port > 65535 || (match[1] !== undefined && isIP(match[1]) !== 6)) {
    throw new ConfigError(`HANDSET_METRICS_ADDRESS: "${raw}" is not HOST:PORT (e.g. 127.0.0.1:9464)`);
  }
  return { host, port };
}

/** `HANDSET_METRICS_TOKEN`: at least 16 characters, so a guessable word is not taken for a secret. */
function metricsToken(value: string | undefined): string | null {
  const token = value?.trim() ?? '';
  if (token === '') return null;
  if (token.length < 16 || /\s/.test(token)) throw new ConfigError('HANDSET_METRICS_TOKEN must be at least 16 characters without spaces');
  return token;
}

/** `HANDSET_DOCS_URL`: an http(s) URL, shown as a link on the landing page. */
function docsUrl(value: string | undefined): string | null {
  const raw = value?.trim() ?? '';
  if (raw === '') return null;
  try {
    const url = new URL(raw);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.href;
  } catch {
    // refused below
  }
  throw new ConfigError(`HANDSET_DOCS_URL: "${raw}" is not an http(s) URL`);
}

function abuseLimits(env: NodeJS.ProcessEnv): AbuseLimits {
  const limit = (name: string, fallback: number): number => int(`HANDSET_${name}`, env[`HANDSET_${name}`], fallback);
  return {
    publicPerIpPerMinute: limit('LIMIT_PUBLIC_PER_IP_PER_MINUTE', 600),
    publicGlobalPerMinute: limit('LIMIT_PUBLIC_GLOBAL_PER_MINUTE', 6000),
    challengesPerIp: limit('LIMIT_CHALLENGES_PER_IP', 100),
    sessionPerMinute: limit('LIMIT_SESSION_PER_MINUTE', 60),
    tokenPerClientPerMinute: limit('LIMIT_TOKEN_PER_CLIENT_PER_MINUTE', 60),
    tokenPerIpPerMinute: limit('LIMIT_TOKEN_PER_IP_PER_MINUTE', 120),
    tokenFailuresPerIp: limit('LIMIT_TOKEN_FAILURES_PER_IP', 10),
  };
}

/** Normalises an origin to `scheme://host[:port]`, rejecting paths, queries and credentials. */
export function normalizeOrigin(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`public URL "${raw}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError('public URL must be http or https');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username) {
    throw new ConfigError('public URL must be a bare origin (scheme://host[:port]) with no path');
  }
  return url.origin;
}

export function loadConfig(input: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const port = int('port', input.port ?? env.HANDSET_PORT, 8080);
  const host = input.host ?? env.HANDSET_HOST ?? '127.0.0.1';
  const sandbox = input.sandbox ?? bool('HANDSET_SANDBOX', env.HANDSET_SANDBOX) ?? false;
  const numbers = (env.HANDSET_MOBILE_AUTH_NUMBERS ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean)
    .map((n) => {
      const e164 = normalizePhone(n);
      if (!e164) throw new ConfigError(`HANDSET_MOBILE_AUTH_NUMBERS: "${n}" is not a phone number`);
      return e164;
    });
  const lineInput = env.HANDSET_MOBILE_AUTH_LINE?.trim() || null;
  const mobileAuthLine = lineInput === null ? null : normalizePhone(lineInput);
  if (lineInput !== null && !mobileAuthLine) throw new ConfigError(`HANDSET_MOBILE_AUTH_LINE: "${lineInput}" is not a phone number`);
  const dev = input.dev ?? bool('HANDSET_DEV', env.HANDSET_DEV) ?? false;
  if (!dev && !sandbox && (numbers.length > 0 || mobileAuthLine !== null)) {
    throw new ConfigError(
      `${numbers.length > 0 ? 'HANDSET_MOBILE_AUTH_NUMBERS' : 'HANDSET_MOBILE_AUTH_LINE'} configures the sandbox carrier, which runs only in development mode ` +
        '(--dev or HANDSET_DEV=1) or sandbox mode (--sandbox or HANDSET_SANDBOX=1)',
    );
  }
  const publicHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const config: Config = {
    port,
    host,
    databaseUrl: input.database ?? env.HANDSET_DATABASE_URL ?? DEFAULT_DATABASE,
    publicUrl: normalizeOrigin(input.publicUrl ?? env.HANDSET_PUBLIC_URL ?? `http://${publicHost}:${port}`),
    sandbox,
    production: !dev,
    outcomeRetentionSeconds: int('HANDSET_OUTCOME_RETENTION_SECONDS', env.HANDSET_OUTCOME_RETENTION_SECONDS, OUTCOME_RETENTION_SECONDS, 60),
    instantLinkTtlSeconds: int('HANDSET_INSTANT_LINK_TTL_SECONDS', env.HANDSET_INSTANT_LINK_TTL_SECONDS, INSTANT_LINK_TTL_SECONDS, 30),
    mobileAuthNumbers: numbers,
    mobileAuthLine,
    signingKeyPem: env.HANDSET_SIGNING_KEY?.trim() || null,
    acceptedSigningKeysPem: env.HANDSET_SIGNING_KEYS_ACCEPTED?.trim() || null,
    rateLimitPerSecond: int('HANDSET_RATE_LIMIT_PER_SECOND', env.HANDSET_RATE_LIMIT_PER_SECOND, 25),
    limits: Object.freeze(abuseLimits(env)),
    trustProxy: parseTrustProxy(env.HANDSET_TRUST_PROXY),
    metricsToken: metricsToken(env.HANDSET_METRICS_TOKEN),
    metricsAddress: parseMetricsAddress(env.HANDSET_METRICS_ADDRESS),
    docsUrl: docsUrl(env.HANDSET_DOCS_URL),
    logLevel: env.HANDSET_LOG_LEVEL ?? 'info',
  };
  return Object.freeze(config);
}

/**
 * Why a start would leave texts with nowhere to go, or null: outside development and sandbox mode
 * a platform needs an SMS provider (the outbox is for development only).
 */
export function undeliverableStart(config: Pick<Config, 'production' | 'sandbox'>, smsProviderConfigured: boolean): string | null {
  if (!config.production || config.sandbox || smsProviderConfigured) return null;
  return (
    'no SMS provider is configured, so no text could reach a phone: set HANDSET_SMS_PROVIDERS (docs/channels.md), ' +
    'or start in development mode (--dev or HANDSET_DEV=1: texts go to /dev/outbox) or sandbox mode (--sandbox or HANDSET_SANDBOX=1)'
  );
}

/** Development defaults in use that must not reach production, as warning sentences. */
export function insecureDefaults(config: Config, generatedSigningKey: boolean, textsToOutbox = true): string[] {
  const warnings: string[] = [];
  if (generatedSigningKey) {
    warnings.push(
      'INSECURE DEFAULT: the authToken signing key was generated by the platform and is stored in the database. ' +
        'Set HANDSET_SIGNING_KEY to a P-256 private key (PEM) in production.',
    );
  }
  if (textsToOutbox) {
    warnings.push(
      'INSECURE DEFAULT: SMS messages go to the development outbox, not to phones' +
        (config.production ? '.' : ` (readable at ${config.publicUrl}/dev/outbox).`),
    );
  }
  if (!config.publicUrl.startsWith('https:')) {
    warnings.push(`INSECURE DEFAULT: the public URL ${config.publicUrl} is not https.`);
  }
  return warnings;
}
