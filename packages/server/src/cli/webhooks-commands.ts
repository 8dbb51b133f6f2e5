/**
 * @module cli/webhooks-commands
 * `handset webhooks add | list | rotate-secret | remove | redeliver` (docs/webhooks.md): a
 * client's endpoints for signed outcome events. A secret is printed once (add, rotate-secret) and
 * never listed or logged.
 */
import type { Command, Option } from 'commander';
import { systemClock } from '../ports/clock.js';
import { cryptoRandom } from '../ports/random.js';
import type { Db } from '../store/database.js';
import { addWebhookEndpoint, listWebhookEndpoints, removeWebhookEndpoint, rotateWebhookSecret } from '../webhooks/endpoints-repo.js';
import { WEBHOOK_EVENTS } from '../webhooks/events.js';
import { redeliver } from '../webhooks/queue.js';

type WithDatabase = <T>(database: string | undefined, work: (db: Db) => Promise<T>) => Promise<T>;

/** Adds the `webhooks` command group to `program`. */
export function addWebhookCommands(program: Command, withDatabase: WithDatabase, databaseOption: () => Option): void {
  const webhooks = program.command('webhooks').description('manage signed outcome webhooks (Standard Webhooks) of clients');
  webhooks
    .command('add')
    .description('add an endpoint for a client; its signing secret (whsec_…) is shown once')
    .requiredOption('--client <clientId>', 'the client whose events it receives')
    .requiredOption('--url <url>', 'where events are POSTed (http:// or https://)')
    .option('--events <list>', `comma-separated events (default all: ${WEBHOOK_EVENTS.join(', ')})`)
    .option('--include-phone', 'put the full number in payloads (default: the masked number only)')
    .option('--json', 'print exactly one JSON object')
    .addOption(databaseOption())
    .action(async (options: { client: string; url: string; events?: string; includePhone?: boolean; json?: boolean; database?: string }) => {
      const added = await withDatabase(options.database, (db) =>
        addWebhookEndpoint(
          db.kysely,
          { random: cryptoRandom, now: systemClock.now() },
          { clientId: options.client, url: options.url, ...(options.events !== undefined ? { events: options.events } : {}), includePhone: options.includePhone === true },
        ),
      );
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ endpointId: added.endpointId, secret: added.secret, events: added.events, includePhone: added.includePhone })}\n`);
        return;
      }
      console.log(`endpoint id: ${added.endpointId}`);
      console.log(`secret:      ${added.secret}`);
      console.log(`events:      ${added.events.join(', ')}`);
      console.log('Store the secret now: it is not shown again. Verify deliveries with it (docs/webhooks.md).');
    });
  webhooks
    .command('list')
    .description('list endpoints (secrets are never shown)')
    .option('--client <clientId>', 'only this client')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (options: { client?: string; json?: boolean; database?: string }) => {
      const rows = await withDatabase(options.database, (db) => listWebhookEndpoints(db.kysely, options.client));
      const list = rows.map((r) => ({ ...r, createdAt: new Date(r.createdAt).toISOString() }));
      if (options.json) {
        process.stdout.write(`${JSON.stringify(list)}\n`);
        return;
      }
      if (list.length === 0) console.log('no webhook endpoints yet: run `handset webhooks add --client ID --url URL`');
      for (const e of list) console.log(`${e.endpointId}  ${e.clientId}  ${e.url}  ${e.events.join(',')}${e.includePhone ? '  (full number)' : ''}`);
    });
  webhooks
    .command('rotate-secret')
    .description('give an endpoint a new secret (shown once); the next delivery is signed with it')
    .argument('<endpointId>', 'the endpoint')
    .option('--json', 'print exactly one JSON object {"endpointId","secret"}')
    .addOption(databaseOption())
    .action(async (endpointId: string, options: { json?: boolean; database?: string }) => {
      const secret = await withDatabase(options.database, (db) => rotateWebhookSecret(db.kysely, cryptoRandom, endpointId));
      if (!secret) throw new Error(`no webhook endpoint ${endpointId}`);
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ endpointId, secret })}\n`);
        return;
      }
      console.log(`new secret: ${secret}`);
      console.log('Store the secret now: it is not shown again. The old secret no longer signs deliveries.');
    });
  webhooks
    .command('remove')
    .description('remove an endpoint; deliveries still waiting for it are dropped')
    .argument('<endpointId>', 'the endpoint')
    .addOption(databaseOption())
    .action(async (endpointId: string, options: { database?: string }) => {
      const removed = await withDatabase(options.database, (db) => db.kysely.transaction().execute((trx) => removeWebhookEndpoint(trx, endpointId)));
      if (!removed) throw new Error(`no webhook endpoint ${endpointId}`);
      console.log(`webhook endpoint ${endpointId} removed`);
    });
  webhooks
    .command('redeliver')
    .description('send a delivery again, with the same webhook-id (a running server sends it within its poll interval)')
    .argument('<webhookId>', 'the delivery (its webhook-id header, msg_…)')
    .addOption(databaseOption())
    .action(async (webhookId: string, options: { database?: string }) => {
      const queued = await withDatabase(options.database, (db) => redeliver(db.kysely, webhookId, systemClock.now()));
      if (!queued) throw new Error(`no webhook delivery ${webhookId} (or it is being sent right now)`);
      console.log(`webhook ${webhookId} queued for redelivery`);
    });
}
