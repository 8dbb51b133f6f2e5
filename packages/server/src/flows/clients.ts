/**
 * @module clients
 * Integrator clients: creation (the secret is returned once and stored only as a SHA-256 hash;
 * 256 random bits need no slow KDF) and the credential check of `POST /token`.
 */
import type { Clock } from '../ports/clock.js';
import { randomToken, type Random } from '../ports/random.js';
import { safeEqual, sha256Hex } from '../lib/hash.js';
import { disableClientRow, findClient, insertClient, updateClientSecretHash } from '../store/clients-repo.js';
import type { Executor } from '../store/executor.js';

export interface NewClient {
  clientId: string;
  clientSecret: string;
}

export async function createClient(q: Executor, deps: { clock: Clock; random: Random }, name: string): Promise<NewClient> {
  const clientId = `hsc_${randomToken(deps.random, 12)}`;
  const clientSecret = `hss_${randomToken(deps.random, 32)}`;
  await insertClient(q, {
    id: clientId,
    name,
    secret_hash: sha256Hex(clientSecret),
    // The Prove Key namespace (authToken `ans`): one per client, so tenants never share keys.
    namespace: `handset-${clientId}`,
    created_at: deps.clock.now(),
    disabled_at: null,
  });
  return { clientId, clientSecret };
}

/**
 * Replaces a client's secret; returns the new one (shown once), or null for an unknown client.
 * The old secret stops working at `/token` at once on every instance (they all read the hash
 * from the database); access tokens issued before keep working until they expire (≤ 1 hour).
 * The clientId, and with it the Prove Key namespace, stays the same.
 */
export async function rotateClientSecret(q: Executor, deps: { random: Random }, clientId: string): Promise<NewClient | null> {
  const clientSecret = `hss_${randomToken(deps.random, 32)}`;
  const updated = await updateClientSecretHash(q, clientId, sha256Hex(clientSecret));
  return updated ? { clientId, clientSecret } : null;
}

/**
 * True when the secret belongs to the client and the client is not disabled. Runs the same work
 * whether or not the client exists.
 */
export async function checkClientSecret(q: Executor, clientId: string, clientSecret: string): Promise<boolean> {
  const client = await findClient(q, clientId);
  const presented = sha256Hex(clientSecret);
  return safeEqual(presented, client?.secret_hash ?? '0'.repeat(64)) && client !== undefined && client.disabled_at === null;
}

/**
 * Disables a client for good: `/token` refuses its credentials from now on, on every instance,
 * and its stored access tokens are deleted (an instance that has one cached keeps accepting it
 * until it expires, at most an hour; see docs/admin.md). Returns false for an unknown client.
 * Run it in a transaction (two writes).
 */
export async function disableClient(q: Executor, clientId: string, now: number): Promise<boolean> {
  return disableClientRow(q, clientId, now);
}
