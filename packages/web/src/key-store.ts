/**
 * @module key-store
 * The Prove Key's persistence: IndexedDB database `ProveAuth` (version 1), object store
 * `Registrations`, keyPath `namespace`, one record per namespace (`client-protocol.md` §4.2).
 * The private key is a non-extractable `CryptoKey` stored by structured clone, so it survives
 * reloads and browser restarts but can never be read out. Connections are opened per operation and
 * closed right after, so deleting the database is never blocked by the SDK itself.
 */

/** One Prove Key record, exactly the layout of §4.2. */
export interface Registration {
  namespace: string;
  /** `auth.endp` when the key was created; pins the origin for later calls (§4.6). */
  endpoint: string;
  deviceId?: string;
  keyId: string;
  algorithm: 'ES256';
  /** Unix seconds. */
  createdAt: number;
  keys: CryptoKeyPair;
  fingerprint?: string;
}

const DATABASE = 'ProveAuth';
const STORE = 'Registrations';

/** Thrown when this browser cannot keep a Prove Key (no IndexedDB, or it refuses CryptoKeys). */
export class StorageUnavailableError extends Error {
  constructor(detail: string) {
    super(`Prove Key storage unavailable: ${detail}`);
    this.name = 'StorageUnavailableError';
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function openDatabase(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let factory: IDBFactory | undefined;
    try {
      factory = globalThis.indexedDB;
    } catch (error) {
      reject(new StorageUnavailableError(describe(error)));
      return;
    }
    if (!factory) {
      reject(new StorageUnavailableError('IndexedDB is not available'));
      return;
    }
    try {
      const request = factory.open(DATABASE, 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore(STORE, { keyPath: 'namespace' });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(new StorageUnavailableError(describe(request.error)));
      request.onblocked = () => reject(new StorageUnavailableError('IndexedDB open blocked'));
    } catch (error) {
      reject(new StorageUnavailableError(describe(error)));
    }
  });
}

/**
 * Runs one transaction. `work` issues the request; the promise settles when the transaction
 * completes (or, with `abortAfter`, when it has been rolled back after the request succeeded).
 */
async function transact<T>(
  mode: IDBTransactionMode,
  work: (store: IDBObjectStore) => IDBRequest<T>,
  abortAfter = false,
): Promise<T> {
  const db = await openDatabase();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      let request: IDBRequest<T>;
      try {
        request = work(tx.objectStore(STORE));
      } catch (error) {
        tx.abort();
        reject(new StorageUnavailableError(describe(error)));
        return;
      }
      let succeeded = false;
      request.onsuccess = () => {
        succeeded = true;
        if (abortAfter) tx.abort();
      };
      tx.oncomplete = () => resolve(request.result);
      tx.onabort = () =>
        succeeded && abortAfter ? resolve(request.result) : reject(new StorageUnavailableError(describe(tx.error ?? request.error)));
      tx.onerror = (event) => event.preventDefault();
    });
  } finally {
    db.close();
  }
}

/** The record for `namespace`, or `undefined` (also when storage is unavailable). */
export async function loadRegistration(namespace: string): Promise<Registration | undefined> {
  try {
    const record = await transact<Registration | undefined>('readonly', (store) => store.get(namespace));
    return record && typeof record === 'object' && record.keys?.privateKey ? record : undefined;
  } catch {
    return undefined;
  }
}

/** Stores (or replaces) the record of its namespace. Throws {@link StorageUnavailableError}. */
export async function saveRegistration(record: Registration): Promise<void> {
  await transact('readwrite', (store) => store.put(record));
}

/**
 * Checks that `record` (with its CryptoKeys) can be stored, without keeping it: the write is
 * rolled back. Private modes that cannot clone a CryptoKey into IndexedDB fail here, before the
 * SDK registers a key it could not keep.
 */
export async function probeRegistration(record: Registration): Promise<void> {
  await transact('readwrite', (store) => store.put(record), true);
}

/** Deletes the whole `ProveAuth` database. Never rejects. */
export function deleteKeyDatabase(): Promise<void> {
  return new Promise((resolve) => {
    try {
      const factory = globalThis.indexedDB;
      if (!factory) return resolve();
      const request = factory.deleteDatabase(DATABASE);
      request.onsuccess = request.onerror = request.onblocked = () => resolve();
    } catch {
      resolve();
    }
  });
}
