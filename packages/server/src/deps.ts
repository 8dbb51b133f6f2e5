/**
 * @module deps
 * Everything the platform is wired from, in one object (the ports and their chosen
 * implementations). `buildApp(deps)` takes it; tests build it with their own clock or bus.
 */
import { createHmac } from 'node:crypto';
import pino, { type DestinationStream, type Logger } from 'pino';
import { ConfigError, undeliverableStart, type Config } from './config.js';
import { MemoryEventBus, type EventBus } from './events/event-bus.js';
import { PgNotifyBus } from './events/pg-notify-bus.js';
import { AbuseLimits } from './http/abuse-limits.js';
import { limiterStore } from './http/limiter-store.js';
import { RateLimiter } from './http/rate-limiter.js';
import { SharedRateLimiter, type RequestBudget } from './http/shared-rate-limiter.js';
import { REDACTED, redactDatabaseUrl, redactUrl, scrubText, scrubValue } from './lib/redact.js';
import { SandboxCarrier, type MobileAuthProvider } from './mobile-auth/mobile-auth-provider.js';
import { operatorsFromEnv, type OperatorWiring } from './mobile-auth/choose-provider.js';
import { systemClock, type Clock } from './ports/clock.js';
import { cryptoRandom, type Random } from './ports/random.js';
import { MeteredSmsSender } from './metrics/metered-sms.js';
import { Metrics } from './metrics/metrics.js';
import { OutboxSmsSender, type SmsSender } from './sms/sms-sender.js';
import { smsProvidersFromEnv, type SmsProviders } from './sms/providers/config.js';
import { smsCallbackUrls } from './http/routes/sms-callbacks.js';
import { CourierSmsSender } from './courier/courier-sender.js';
import { courierSettingsFromEnv } from './courier/config.js';
import { policyFromEnv, type PolicyHolder } from './policy/policy-holder.js';
import { Dispatcher } from './courier/dispatcher.js';
import { hostname } from 'node:os';
import { migrateToLatest, openDatabase, type Db } from './store/database.js';
import { GroupCommit } from './store/group-commit.js';
import { AccessTokens } from './tokens/access-tokens.js';
import { AuthTokenVerifier } from './tokens/auth-token.js';
import { acceptedKeysFromPem, loadOrCreateDevSigningKey, signingKeyFromPem, type SigningKey } from './tokens/signing-key.js';
import { sandboxMobileAuthNumbers } from './flows/sandbox-users.js';

export interface Deps {
  config: Readonly<Config>;
  db: Db;
  clock: Clock;
  random: Random;
  bus: EventBus;
  /** Shares one commit between writes that arrive together (the session inserts of `/v3/unify`). */
  groupCommit: GroupCommit;
  /** The per-client request budget of `/v3/*`: in-process on SQLite, in the database on PostgreSQL. */
  rateLimiter: RequestBudget;
  /** The abuse bounds of unauthenticated routes, `/token` and authToken calls (http/abuse-limits.ts). */
  limits: AbuseLimits;
  sms: SmsSender;
  /** The courier's dispatcher when SMS providers are configured (HANDSET_SMS_PROVIDERS); else the outbox is used. */
  courier?: Dispatcher;
  /** What the status callback routes verify with (secrets: never logged), when the courier is configured. */
  smsCallbacks?: SmsProviders['callbacks'];
  /** The configured providers whose callbacks are served. */
  smsCallbackProviders?: string[];
  carrier: MobileAuthProvider;
  /** Operator Mobile Auth and the SIM swap signal over CAMARA, when HANDSET_OPERATORS is set. */
  operators?: OperatorWiring;
  signingKey: SigningKey;
  authTokens: AuthTokenVerifier;
  accessTokens: AccessTokens;
  /** This instance's Prometheus registry and instruments (metrics/metrics.ts). */
  metrics: Metrics;
  /** The fraud policy in force (HANDSET_POLICY_FILE or the default; reloaded on SIGHUP). */
  policy: PolicyHolder;
  log: Logger;
}

export interface DepsOverrides {
  clock?: Clock;
  random?: Random;
  bus?: EventBus;
  log?: Logger;
  /** An already-open database (tests share one between instances). */
  db?: Db;
  /** Where the SMS provider and courier variables are read (default `process.env`; tests point at fakes). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Where log lines must never show secrets, tokens or full numbers. */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["pa-signature"]',
  '*.phoneNumber',
  '*.clientSecret',
  '*.client_secret',
  '*.otp',
];

/** Fields that hold a URL or a database location: kept, minus what {@link redactUrl} removes. */
const URL_FIELDS = ['url', 'path', '*.url', '*.path'];
const DATABASE_FIELDS = ['database', '*.database'];

function censor(value: unknown, path: string[]): unknown {
  if (typeof value !== 'string') return REDACTED;
  const field = path[path.length - 1];
  if (field === 'database') return redactDatabaseUrl(value);
  if (field === 'url' || field === 'path') return redactUrl(value);
  return REDACTED;
}

/**
 * The platform's logger. Secrets are kept out three ways (lib/redact.ts): fields by name
 * ({@link LOG_REDACT_PATHS}; URL fields by shape), errors with every string scrubbed, and
 * message strings scrubbed, so a token or password cannot slip in through a library's message.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const logger = pino(
    {
      level,
      redact: { paths: [...LOG_REDACT_PATHS, ...URL_FIELDS, ...DATABASE_FIELDS], censor },
      serializers: { err: (error: unknown) => scrubValue(pino.stdSerializers.err(error as Error)) },
      hooks: {
        logMethod(args, method) {
          for (let i = 0; i < args.length; i++) if (typeof args[i] === 'string') args[i] = scrubText(args[i] as string);
          method.apply(this, args);
        },
      },
    },
    destination,
  );
  skipRedactingPrimitives(logger);
  return logger;
}

/**
 * pino hands EVERY field of a line (and of a child logger's bindings) that has no redaction path
 * of its own to the redactor of the wildcard paths (`*.otp`, `*.url`, …), primitives included,
 * and @pinojs/redact parses all seven paths again on each call: about 15 KB of garbage per
 * request line, 14 % of what a whole mobile flow allocates (bench/README.md). A string or a
 * number has no fields to redact, and for one the redactor returns just its JSON; so primitives
 * skip it. Objects still go through it. The hook is the logger's stringifiers, reached through
 * `pino.symbols` (pino's documented door to its state for integrations; pino is pinned exactly,
 * and test/security/log-redaction.test.ts checks both the fast path and every redaction).
 */
export function skipRedactingPrimitives(logger: Logger): void {
  const stringifiers = (logger as unknown as Record<symbol, Record<symbol, (value: unknown, ...rest: unknown[]) => string | undefined>>)[pino.symbols.stringifiersSym];
  const wildcard = stringifiers?.[pino.symbols.wildcardFirstSym];
  if (!stringifiers || !wildcard) return;
  stringifiers[pino.symbols.wildcardFirstSym] = (value, ...rest) =>
    value === null || (typeof value !== 'object' && typeof value !== 'bigint') ? JSON.stringify(value) : wildcard(value, ...rest);
}

/**
 * The sandbox carrier's HMAC key, derived from the shared signing key so that every instance
 * accepts a vfp handed out by any other (the carrier URL may reach another instance).
 */
function carrierSecret(key: SigningKey): string {
  const d = key.privateKey.export({ format: 'jwk' }).d ?? '';
  return createHmac('sha256', d).update('handset sandbox carrier').digest('base64url');
}

/** Opens and migrates the database and wires every port. */
export async function createDeps(config: Readonly<Config>, overrides: DepsOverrides = {}): Promise<Deps> {
  const clock = overrides.clock ?? systemClock;
  const random = overrides.random ?? cryptoRandom;
  const log = overrides.log ?? createLogger(config.logLevel);
  const acceptedKeys = acceptedKeysFromPem(config.acceptedSigningKeysPem ?? '');
  const db =
    overrides.db ??
    openDatabase(config.databaseUrl, {
      backgroundCheckpoints: { onError: (error) => log.warn({ err: { message: error.message } }, 'background WAL checkpoint failed') },
    });
  let signingKey: SigningKey;
  try {
    await migrateToLatest(db);
    signingKey = config.signingKeyPem
      ? signingKeyFromPem(config.signingKeyPem)
      : await loadOrCreateDevSigningKey(db.kysely, clock.now());
  } catch (error) {
    if (!overrides.db) await db.close();
    throw error;
  }
  const numbers = new Set(config.mobileAuthNumbers);
  if (config.sandbox) for (const n of sandboxMobileAuthNumbers()) numbers.add(n);
  // One instance on SQLite: an in-process bus. PostgreSQL: LISTEN/NOTIFY reaches every instance.
  let bus = overrides.bus;
  if (!bus && db.dialect === 'postgres') {
    const pgBus = new PgNotifyBus({ url: db.url, log });
    try {
      await pgBus.start();
    } catch (error) {
      if (!overrides.db) await db.close();
      throw error;
    }
    bus = pgBus;
  }
  const rateLimiter =
    db.dialect === 'postgres'
      ? new SharedRateLimiter(config.rateLimitPerSecond, clock, db.kysely)
      : new RateLimiter(config.rateLimitPerSecond, clock);
  const metrics = new Metrics({ dialect: db.dialect });
  // Real SMS providers configured: the courier queues and a dispatcher sends; else the outbox, as before.
  let sms: SmsSender = new MeteredSmsSender(new OutboxSmsSender({ clock, random, log }), metrics);
  let courier: Dispatcher | undefined;
  let smsCallbacks: SmsProviders['callbacks'] | undefined;
  let smsCallbackProviders: string[] | undefined;
  let operators: OperatorWiring = {};
  let policy: PolicyHolder;
  try {
    const env = overrides.env ?? process.env;
    policy = policyFromEnv(env);
    operators = operatorsFromEnv(env, carrierSecret(signingKey));
    const providers = smsProvidersFromEnv(env, { log, callbackUrls: smsCallbackUrls(config.publicUrl) });
    const undeliverable = undeliverableStart(config, providers !== null);
    if (undeliverable) throw new ConfigError(undeliverable);
    if (providers) {
      courier = new Dispatcher({
        db,
        provider: providers.chain,
        clock,
        random,
        log,
        metrics,
        owner: `${hostname()}:${process.pid}:${random.uuid().slice(0, 8)}`,
        settings: courierSettingsFromEnv(env),
      });
      const dispatcher = courier;
      // The dispatcher meters each message when a provider takes or refuses it.
      sms = new CourierSmsSender({ clock, random, log, nudge: () => dispatcher.nudge() });
      smsCallbacks = providers.callbacks;
      smsCallbackProviders = providers.providers.map((p) => p.name);
      log.info({ providers: smsCallbackProviders }, 'sms courier configured');
    }
  } catch (error) {
    if (bus && bus !== overrides.bus) await bus.close();
    if (!overrides.db) await db.close();
    throw error;
  }
  return {
    config,
    db,
    clock,
    random,
    log,
    bus: bus ?? new MemoryEventBus(),
    rateLimiter,
    limits: new AbuseLimits(config.limits, limiterStore(db)),
    groupCommit: new GroupCommit(db.kysely),
    sms,
    ...(courier ? { courier } : {}),
    ...(smsCallbacks ? { smsCallbacks } : {}),
    ...(smsCallbackProviders ? { smsCallbackProviders } : {}),
    operators,
    carrier: new SandboxCarrier(() => config.publicUrl, numbers, carrierSecret(signingKey), config.mobileAuthLine),
    signingKey,
    authTokens: new AuthTokenVerifier(signingKey, acceptedKeys),
    accessTokens: new AccessTokens({ db: db.kysely, clock, random }),
    metrics,
    policy,
  };
}
