/**
 * @module main
 * The `handset` command line: `serve`, `migrate`, `clients create`, `clients list`,
 * `clients rotate-secret`, `admins create`, `admins list`, `admins disable`, `policy check`,
 * `webhooks …` (cli/webhooks-commands.ts), `sessions show` (cli/sessions-commands.ts).
 * Every `serve` flag also has a `HANDSET_*` environment variable; flags win.
 */
import { Command, Option } from 'commander';
import { createAdmin, disableAdmin, listAdmins } from '../admin/admins-repo.js';
import { ConfigError, loadConfig } from '../config.js';
import { createClient, rotateClientSecret } from '../flows/clients.js';
import { systemClock } from '../ports/clock.js';
import { cryptoRandom } from '../ports/random.js';
import { listClients } from '../store/clients-repo.js';
import { migrateToLatest, openDatabase, type Db } from '../store/database.js';
import { VERSION } from '../version.js';
import { addSessionCommands } from './sessions-commands.js';
import { addWebhookCommands } from './webhooks-commands.js';

/** How long a SIGTERM/SIGINT waits for requests and sockets to drain before exiting anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

const databaseOption = (): Option =>
  new Option('--database <pathOrUrl>', 'SQLite file, :memory:, or postgres:// URL (env HANDSET_DATABASE_URL; default ./data/handset.db)');

/** Opens the configured database, brings its schema up to date unless told not to, runs `work`. */
async function withDatabase<T>(database: string | undefined, work: (db: Db) => Promise<T>, options = { migrate: true }): Promise<T> {
  const config = loadConfig({ database });
  const db = openDatabase(config.databaseUrl);
  try {
    if (options.migrate) await migrateToLatest(db);
    return await work(db);
  } finally {
    await db.close();
  }
}

export function buildCli(): Command {
  const program = new Command('handset')
    .description('Handset: phone-possession checks and device keys, wire-compatible with Prove Unify.')
    .version(VERSION, '-V, --version', 'print the version of @handset/server')
    .showHelpAfterError();

  program
    .command('serve')
    .description('run the platform (server API, client protocol, status socket)')
    .option('--port <port>', 'port to listen on (env HANDSET_PORT; default 8080)')
    .option('--host <host>', 'address to bind (env HANDSET_HOST; default 127.0.0.1)')
    .addOption(databaseOption())
    .option('--public-url <url>', 'public origin put in authTokens (endp) and Instant Links (env HANDSET_PUBLIC_URL)')
    .option('--sandbox', 'sandbox mode: only the documented test users, OTP 1234 (env HANDSET_SANDBOX)')
    .option('--dev', 'development mode: texts go to /dev/outbox, the sandbox carrier answers Mobile Auth (env HANDSET_DEV)')
    .action(async (options: { port?: string; host?: string; database?: string; publicUrl?: string; sandbox?: boolean; dev?: boolean }) => {
      const config = loadConfig(options);
      // Loaded here, not at the top: the HTTP server is most of the code, and every other command
      // (and --version) would pay for loading it (~4 s of CPU per command through tsx).
      const { startServer } = await import('../server.js');
      const server = await startServer(config);
      const stop = (): void => {
        server.deps.log.info('shutting down: draining requests and status sockets');
        // A drain that hangs (a peer that never closes) must not keep the process alive.
        setTimeout(() => {
          server.deps.log.warn('shutdown took too long; exiting');
          process.exit(1);
        }, SHUTDOWN_GRACE_MS).unref();
        server.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      // Reload the fraud policy; an invalid file keeps the old policy (the reason is logged).
      process.on('SIGHUP', () => server.deps.policy.reload(server.deps.log));
    });

  program
    .command('migrate')
    .description('create or update the database schema')
    .addOption(databaseOption())
    .action(async (options: { database?: string }) => {
      const applied = await withDatabase(options.database, (db) => migrateToLatest(db), { migrate: false });
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'the schema is up to date');
    });

  const clients = program.command('clients').description('manage integrator clients (OAuth client credentials)');
  clients
    .command('create')
    .description('create a client; its secret is shown once and stored only as a hash')
    .requiredOption('--name <name>', 'a name for the client')
    .option('--json', 'print exactly one JSON object {"clientId","clientSecret"}')
    .addOption(databaseOption())
    .action(async (options: { name: string; json?: boolean; database?: string }) => {
      const created = await withDatabase(options.database, (db) =>
        createClient(db.kysely, { clock: systemClock, random: cryptoRandom }, options.name),
      );
      if (options.json) {
        process.stdout.write(`${JSON.stringify(created)}\n`);
        return;
      }
      console.log(`client id:     ${created.clientId}`);
      console.log(`client secret: ${created.clientSecret}`);
      console.log('Store the secret now: it is not shown again and cannot be recovered.');
    });
  clients
    .command('rotate-secret')
    .description('give a client a new secret (shown once); the old one stops working at once, issued access tokens run out')
    .requiredOption('--id <clientId>', 'the client whose secret to replace')
    .option('--json', 'print exactly one JSON object {"clientId","clientSecret"}')
    .addOption(databaseOption())
    .action(async (options: { id: string; json?: boolean; database?: string }) => {
      const rotated = await withDatabase(options.database, (db) => rotateClientSecret(db.kysely, { random: cryptoRandom }, options.id));
      if (!rotated) throw new Error(`no client ${options.id}`);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(rotated)}\n`);
        return;
      }
      console.log(`client id:         ${rotated.clientId}`);
      console.log(`new client secret: ${rotated.clientSecret}`);
      console.log('Store the secret now: it is not shown again. The old secret no longer works.');
    });
  clients
    .command('list')
    .description('list clients (ids and names; secrets are never shown)')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (options: { json?: boolean; database?: string }) => {
      const rows = await withDatabase(options.database, (db) => listClients(db.kysely));
      const list = rows.map((r) => ({ clientId: r.id, name: r.name, createdAt: new Date(r.created_at).toISOString() }));
      if (options.json) {
        process.stdout.write(`${JSON.stringify(list)}\n`);
        return;
      }
      if (list.length === 0) console.log('no clients yet: run `handset clients create --name NAME`');
      for (const c of list) console.log(`${c.clientId}  ${c.name}  (created ${c.createdAt})`);
    });
  program
    .command('policy')
    .description('the fraud policy (docs/fraud-policy.md)')
    .command('check')
    .description('validate a policy file; errors name the field (exit 1 when invalid)')
    .argument('<file>', 'the policy file (JSON)')
    .action(async (file: string) => {
      // Loaded here: the policy schema (TypeBox) is needed by this command only.
      const { readPolicyFile } = await import('../policy/load-policy.js');
      const read = readPolicyFile(file);
      if (!read.ok) {
        for (const error of read.errors) console.error(`${file}: ${error}`);
        process.exitCode = 1;
        return;
      }
      console.log(`${file}: valid (${read.policy.rules.length} rule${read.policy.rules.length === 1 ? '' : 's'})`);
    });
  addAdminCommands(program);
  addWebhookCommands(program, (database, work) => withDatabase(database, work), databaseOption);
  addSessionCommands(program, (database, work) => withDatabase(database, work), databaseOption);
  return program;
}

/** `handset admins …`: operators of the console and the admin API (docs/admin.md). */
function addAdminCommands(program: Command): void {
  const admins = program.command('admins').description('manage admins (operators of the console and the admin API)');
  admins
    .command('create')
    .description('create an admin; its secret is shown once and stored only as a hash')
    .requiredOption('--name <name>', 'who the admin is (shown in the console and the audit)')
    .option('--json', 'print exactly one JSON object {"adminId","secret"}')
    .addOption(databaseOption())
    .action(async (options: { name: string; json?: boolean; database?: string }) => {
      const created = await withDatabase(options.database, (db) => createAdmin(db.kysely, { name: options.name }));
      if (options.json) {
        process.stdout.write(`${JSON.stringify(created)}\n`);
        return;
      }
      console.log(`admin id:     ${created.adminId}`);
      console.log(`admin secret: ${created.secret}`);
      console.log('Store the secret now: it is not shown again and cannot be recovered.');
    });
  admins
    .command('list')
    .description('list admins (ids, names, whether disabled; secrets are never shown)')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (options: { json?: boolean; database?: string }) => {
      const rows = await withDatabase(options.database, (db) => listAdmins(db.kysely));
      const list = rows.map((a) => ({
        adminId: a.adminId,
        name: a.name,
        createdAt: new Date(a.createdAt).toISOString(),
        disabledAt: a.disabledAt === null ? null : new Date(a.disabledAt).toISOString(),
      }));
      if (options.json) {
        process.stdout.write(`${JSON.stringify(list)}\n`);
        return;
      }
      if (list.length === 0) console.log('no admins yet: run `handset admins create --name NAME`');
      for (const a of list) console.log(`${a.adminId}  ${a.name}  (created ${a.createdAt}${a.disabledAt ? `, disabled ${a.disabledAt}` : ''})`);
    });
  admins
    .command('disable')
    .description('disable an admin for good: its secret, API tokens and console sessions stop working at once')
    .argument('<adminId>', 'the admin to disable')
    .addOption(databaseOption())
    .action(async (adminId: string, options: { database?: string }) => {
      const found = await withDatabase(options.database, (db) =>
        db.kysely.transaction().execute((trx) => disableAdmin(trx, adminId, systemClock.now())),
      );
      if (!found) throw new Error(`no admin ${adminId}`);
      console.log(`admin ${adminId} is disabled`);
    });
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (error) {
    const message = error instanceof ConfigError ? `configuration error: ${error.message}` : (error as Error).message;
    console.error(`handset: ${message}`);
    process.exitCode = 1;
  }
}
