/**
 * @module config
 * One configuration object with self-hosting defaults, read from CLI flags and `HANDSET_*`
 * environment variables (flags win), validated and frozen. Insecure development defaults are
 * listed by {@link insecureDefaults} so start-up can warn about each one loudly.
 */
import { INSTANT_LINK_TTL_SECONDS, OUTCOME_RETENTION_SECONDS } from '@handset/protocol';
import { normalizePhone } from './lib/phone.js';

export interface Config {
  port: number;
  host: string;
  /** SQLite path, `:memory:`, or a `postgres://` URL. */
  databaseUrl: string;
  /** The platform's public origin: authToken `endp` and the base of Instant Links (decision C5). */
  publicUrl: string;
  sandbox: boolean;
  /** Production mode hides development pages such as `/dev/outbox`. */
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
  logLevel: string;
}

/** Options as they come from the command line; every one has a `HANDSET_*` variable. */
export interface ConfigInput {
  port?: string | number;
  host?: string;
  database?: string;
  publicUrl?: string;
  sandbox?: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const DEFAULT_DATABASE = './data/handset.db';

function bool(value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`expected a boolean, got "${value}"`);
}

function int(name: string, value: string | number | undefined, fallback: number, min = 0): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${name} must be an integer ≥ ${min}, got "${value}"`);
  return n;
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
  const sandbox = input.sandbox ?? bool(env.HANDSET_SANDBOX) ?? false;
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
  const publicHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const config: Config = {
    port,
    host,
    databaseUrl: input.database ?? env.HANDSET_DATABASE_URL ?? DEFAULT_DATABASE,
    publicUrl: normalizeOrigin(input.publicUrl ?? env.HANDSET_PUBLIC_URL ?? `http://${publicHost}:${port}`),
    sandbox,
    production: env.NODE_ENV === 'production' || env.HANDSET_ENV === 'production',
    outcomeRetentionSeconds: int('HANDSET_OUTCOME_RETENTION_SECONDS', env.HANDSET_OUTCOME_RETENTION_SECONDS, OUTCOME_RETENTION_SECONDS, 60),
    instantLinkTtlSeconds: int('HANDSET_INSTANT_LINK_TTL_SECONDS', env.HANDSET_INSTANT_LINK_TTL_SECONDS, INSTANT_LINK_TTL_SECONDS, 30),
    mobileAuthNumbers: numbers,
    mobileAuthLine,
    signingKeyPem: env.HANDSET_SIGNING_KEY?.trim() || null,
    acceptedSigningKeysPem: env.HANDSET_SIGNING_KEYS_ACCEPTED?.trim() || null,
    rateLimitPerSecond: int('HANDSET_RATE_LIMIT_PER_SECOND', env.HANDSET_RATE_LIMIT_PER_SECOND, 25),
    logLevel: env.HANDSET_LOG_LEVEL ?? 'info',
  };
  return Object.freeze(config);
}

/** Development defaults in use that must not reach production, as warning sentences. */
export function insecureDefaults(config: Config, generatedSigningKey: boolean): string[] {
  const warnings: string[] = [];
  if (generatedSigningKey) {
    warnings.push(
      'INSECURE DEFAULT: the authToken signing key was generated by the platform and is stored in the database. ' +
        'Set HANDSET_SIGNING_KEY to a P-256 private key (PEM) in production.',
    );
  }
  warnings.push(
    'INSECURE DEFAULT: SMS messages go to the development outbox, not to phones' +
      (config.production ? '.' : ` (readable at ${config.publicUrl}/dev/outbox).`),
  );
  if (!config.publicUrl.startsWith('https:')) {
    warnings.push(`INSECURE DEFAULT: the public URL ${config.publicUrl} is not https.`);
  }
  return warnings;
}
