/**
 * @module random
 * The Random port: every identifier, secret, challenge and one-time code comes from here, so a
 * deterministic implementation can replace it where a test needs repeatable values.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';

export interface Random {
  /** `n` cryptographically random bytes. */
  bytes(n: number): Uint8Array;
  /** A random v4 UUID. */
  uuid(): string;
  /** A string of `length` random decimal digits. */
  digits(length: number): string;
}

/** The production implementation on node:crypto. */
export const cryptoRandom: Random = {
  bytes: (n) => new Uint8Array(randomBytes(n)),
  uuid: () => randomUUID(),
  digits: (length) => Array.from({ length }, () => String(randomInt(10))).join(''),
};

/** Random bytes as base64url, the text form of every token the platform mints. */
export function randomToken(random: Random, bytes = 32): string {
  return Buffer.from(random.bytes(bytes)).toString('base64url');
}
