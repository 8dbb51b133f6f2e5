/**
 * @module deps
 * Everything the platform is wired from, in one object (the ports and their chosen
 * implementations). `buildApp(deps)` takes it; tests build it with their own clock or bus.
 */
import pino, { type Logger } from 'pino';
import type { Config } from './config.js';
import { MemoryEventBus, type EventBus } from './events/event-bus.js';
import { SandboxCarrier, type MobileAuthProvider } from './mobile-auth/mobile-auth-provider.js';
import { systemClock, type Clock } from './ports/clock.js';
import { cryptoRandom, randomToken, type Random } from './ports/random.js';
import { OutboxSmsSender, type SmsSender } from './sms/sms-sender.js';
import { migrateToLatest, openDatabase, type Db } from './store/database.js';
import { AccessTokens } from './tokens/access-tokens.js';
import { AuthTokenVerifier } from './tokens/auth-token.js';
import { loadOrCreateDevSigningKey, signingKeyFromPem, type SigningKey } from './tokens/signing-key.js';
import { sandboxMobileAuthNumbers } from './flows/sandbox-users.js';

export interface Deps {
  config: Readonly<Config>;
  db: Db;
  clock: Clock;
  random: Random;
  bus: EventBus;
  sms: SmsSender;
  carrier: MobileAuthProvider;
  signingKey: SigningKey;
  authTokens: AuthTokenVerifier;
  accessTokens: AccessTokens;
  log: Logger;
}

export interface DepsOverrides {
  clock?: Clock;
  random?: Random;
  bus?: EventBus;
  log?: Logger;
  /** An already-open database (tests share one between instances). */
  db?: Db;
}

/** Where log lines must never show secrets, tokens or full numbers. */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["pa-signature"]',
  '*.phoneNumber',
  '*.clientSecret',
  '*.client_secret',
  '*.otp',
];

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' } });
}

/** Opens and migrates the database and wires every port. */
export async function createDeps(config: Readonly<Config>, overrides: DepsOverrides = {}): Promise<Deps> {
  const clock = overrides.clock ?? systemClock;
  const random = overrides.random ?? cryptoRandom;
  const log = overrides.log ?? createLogger(config.logLevel);
  const db = overrides.db ?? openDatabase(config.databaseUrl);
  await migrateToLatest(db);
  const signingKey = config.signingKeyPem
    ? signingKeyFromPem(config.signingKeyPem)
    : await loadOrCreateDevSigningKey(db.kysely, clock.now());
  const numbers = new Set(config.mobileAuthNumbers);
  if (config.sandbox) for (const n of sandboxMobileAuthNumbers()) numbers.add(n);
  return {
    config,
    db,
    clock,
    random,
    log,
    bus: overrides.bus ?? new MemoryEventBus(),
    sms: new OutboxSmsSender({ clock, random, log }),
    carrier: new SandboxCarrier(() => config.publicUrl, numbers, randomToken(random)),
    signingKey,
    authTokens: new AuthTokenVerifier(signingKey),
    accessTokens: new AccessTokens({ db: db.kysely, clock, random }),
  };
}
