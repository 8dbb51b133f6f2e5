/**
 * @module server
 * A running platform: deps + app + listening socket + periodic clean-up, with a clean stop:
 * stop accepting, close the status sockets (1001 going away), finish requests in flight, then
 * stop listening for events and close the database pool.
 */
import type { FastifyInstance } from 'fastify';
import { insecureDefaults, type Config } from './config.js';
import { messageFailed } from './flows/message-failed.js';
import { createDeps, type Deps, type DepsOverrides } from './deps.js';
import { buildApp } from './http/app.js';
import { purgeExpired } from './store/maintenance.js';
import { VERSION } from './version.js';
import { hostname } from 'node:os';
import { WebhookDispatcher } from './webhooks/dispatcher.js';
import { registerWebhookDispatcher, webhookSettingsFromEnv } from './webhooks/wiring.js';

export interface RunningServer {
  app: FastifyInstance;
  deps: Deps;
  /** The address it listens on, e.g. http://127.0.0.1:8080. */
  address: string;
  close(): Promise<void>;
}

const PURGE_INTERVAL_MS = 60_000;

/** Closes the event bus and, unless it was lent by the caller, the database pool. */
async function releaseDeps(deps: Deps, overrides: DepsOverrides): Promise<void> {
  // The courier's sends in flight finish and are recorded before the pool closes.
  await deps.courier?.stop();
  await deps.bus.close();
  if (!overrides.db) await deps.db.close();
}

export async function startServer(config: Readonly<Config>, overrides: DepsOverrides = {}): Promise<RunningServer> {
  const deps = await createDeps(config, overrides);
  for (const warning of insecureDefaults(config, deps.signingKey.generated, !deps.courier)) deps.log.warn(warning);
  if (config.sandbox) deps.log.warn('SANDBOX MODE: only the documented test users are accepted; OTP 1234 passes.');
  let app: FastifyInstance;
  try {
    app = await buildApp(deps);
  } catch (error) {
    await releaseDeps(deps, overrides);
    throw error;
  }
  const purge = async (): Promise<void> => {
    try {
      await purgeExpired(deps.db.kysely, deps.clock.now());
    } catch (error) {
      deps.log.warn({ err: error }, 'purge failed');
    }
  };
  await purge();
  deps.courier?.onGiveUp((message) => messageFailed(deps, message));
  deps.courier?.start();
  // Outcome webhooks (docs/webhooks.md): every instance sends what is due; claims never overlap.
  let webhookSettings: ReturnType<typeof webhookSettingsFromEnv>;
  try {
    webhookSettings = webhookSettingsFromEnv(overrides.env ?? process.env);
  } catch (error) {
    await app.close();
    await releaseDeps(deps, overrides);
    throw error;
  }
  const webhooks = new WebhookDispatcher({
    db: deps.db,
    clock: deps.clock,
    random: deps.random,
    log: deps.log,
    owner: `${hostname()}:${process.pid}:${deps.random.uuid().slice(0, 8)}`,
    settings: webhookSettings,
  });
  const unregisterWebhooks = registerWebhookDispatcher(deps.db, webhooks);
  webhooks.start();
  const stopWebhooks = async (): Promise<void> => {
    unregisterWebhooks();
    await webhooks.stop();
  };
  const timer = setInterval(() => void purge(), PURGE_INTERVAL_MS);
  timer.unref();
  let address: string;
  try {
    address = await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    clearInterval(timer);
    await app.close();
    await stopWebhooks();
    await releaseDeps(deps, overrides);
    throw error;
  }
  deps.log.info({ version: VERSION, address, publicUrl: config.publicUrl, database: deps.db.location }, 'handset is listening');
  let closing: Promise<void> | null = null;
  return {
    app,
    deps,
    address,
    close: () =>
      (closing ??= (async () => {
        clearInterval(timer);
        // Stops accepting, closes status sockets with 1001 (see app.ts), waits for requests in flight.
        await app.close();
        await stopWebhooks();
        await releaseDeps(deps, overrides);
      })()),
  };
}
