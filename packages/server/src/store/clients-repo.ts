/**
 * @module clients-repo
 * Integrator clients (OAuth client credentials) and their access tokens.
 */
import type { Executor } from './executor.js';
import type { ClientsTable } from './schema.js';

export async function insertClient(q: Executor, row: ClientsTable): Promise<void> {
  await q.insertInto('clients').values(row).execute();
}

export async function findClient(q: Executor, id: string): Promise<ClientsTable | undefined> {
  return q.selectFrom('clients').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Sets a client's secret hash; returns false when there is no such client. */
/** True when a client with this id exists (disabled or not). */
export async function clientExists(q: Executor, id: string): Promise<boolean> {
  return (await q.selectFrom('clients').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

export async function updateClientSecretHash(q: Executor, id: string, secretHash: string): Promise<boolean> {
  const result = await q.updateTable('clients').set({ secret_hash: secretHash }).where('id', '=', id).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function listClients(q: Executor): Promise<Array<Pick<ClientsTable, 'id' | 'name' | 'created_at' | 'disabled_at'>>> {
  return q.selectFrom('clients').select(['id', 'name', 'created_at', 'disabled_at']).orderBy('created_at').orderBy('id').execute();
}

/**
 * Marks a client disabled (keeping the first time) and deletes its stored access tokens; returns
 * false when there is no such client.
 */
export async function disableClientRow(q: Executor, id: string, now: number): Promise<boolean> {
  const found = await q.selectFrom('clients').select('disabled_at').where('id', '=', id).executeTakeFirst();
  if (!found) return false;
  if (found.disabled_at === null) await q.updateTable('clients').set({ disabled_at: now }).where('id', '=', id).execute();
  await q.deleteFrom('access_tokens').where('client_id', '=', id).execute();
  return true;
}

export async function insertAccessToken(q: Executor, tokenHash: string, clientId: string, expiresAt: number): Promise<void> {
  await q.insertInto('access_tokens').values({ token_hash: tokenHash, client_id: clientId, expires_at: expiresAt }).execute();
}

export async function findAccessToken(
  q: Executor,
  tokenHash: string,
): Promise<{ client_id: string; expires_at: number } | undefined> {
  return q
    .selectFrom('access_tokens')
    .select(['client_id', 'expires_at'])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
}
