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
export async function updateClientSecretHash(q: Executor, id: string, secretHash: string): Promise<boolean> {
  const result = await q.updateTable('clients').set({ secret_hash: secretHash }).where('id', '=', id).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function listClients(q: Executor): Promise<Array<Pick<ClientsTable, 'id' | 'name' | 'created_at'>>> {
  return q.selectFrom('clients').select(['id', 'name', 'created_at']).orderBy('created_at').execute();
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
