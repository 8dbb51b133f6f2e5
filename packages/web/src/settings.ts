/**
 * @module settings
 * The small key/value settings the SDK keeps next to the Prove Key (`client-protocol.md` §4.2):
 * `ProveAuth.DeviceId`, `ProveAuth.namespace`, `ProveAuth.fingerPrintTimestamp`. localStorage by
 * default, or the integrator's `withStorage()` replacement.
 */
import { deleteKeyDatabase } from './key-store.js';

/**
 * A localStorage-like store. Methods may be synchronous (like `localStorage`) or return promises.
 *
 * @example
 * ```ts
 * const memory = new Map<string, string>();
 * const storage: KeyValueStorage = {
 *   getItem: (key) => memory.get(key) ?? null,
 *   setItem: (key, value) => void memory.set(key, value),
 *   removeItem: (key) => void memory.delete(key),
 * };
 * new AuthenticatorBuilder().withStorage(storage);
 * ```
 */
export interface KeyValueStorage {
  getItem(key: string): string | null | undefined | Promise<string | null | undefined>;
  setItem(key: string, value: string): unknown;
  removeItem(key: string): unknown;
}

/** The setting keys, identical to Prove's. */
export const SettingKey = {
  DEVICE_ID: 'ProveAuth.DeviceId',
  NAMESPACE: 'ProveAuth.namespace',
  FINGERPRINT_TIMESTAMP: 'ProveAuth.fingerPrintTimestamp',
} as const;

function memoryStorage(): KeyValueStorage {
  const map = new Map<string, string>();
  return {
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => map.set(key, value),
    removeItem: (key) => map.delete(key),
  };
}

/** `localStorage` when usable (it throws in some sandboxed frames), else an in-memory store. */
export function defaultStorage(): KeyValueStorage {
  try {
    const storage = globalThis.localStorage;
    if (storage) {
      storage.getItem(SettingKey.NAMESPACE);
      return storage;
    }
  } catch {
    // fall through
  }
  return memoryStorage();
}

/** Reads a setting; a failing store reads as "absent". */
export async function readSetting(storage: KeyValueStorage, key: string): Promise<string | null> {
  try {
    return (await storage.getItem(key)) ?? null;
  } catch {
    return null;
  }
}

/** Writes a setting, or removes it when `value` is empty. Failures are ignored (private modes). */
export async function writeSetting(storage: KeyValueStorage, key: string, value: string | null | undefined): Promise<void> {
  try {
    await (value ? storage.setItem(key, value) : storage.removeItem(key));
  } catch {
    // A store that refuses writes only costs the "returning device" shortcut.
  }
}

/** Forgets this browser's Prove Key: the three settings and the whole `ProveAuth` database. */
export async function wipeDevice(storage: KeyValueStorage): Promise<void> {
  for (const key of Object.values(SettingKey)) await writeSetting(storage, key, null);
  await deleteKeyDatabase();
}
