/**
 * @module verification-attempts
 * Helpers of the brute-force tests (verification attempts across sessions): a policy with a cap
 * on code checks per number at the `verify` point, a session with its code texted, and the
 * sessions the cap failed.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestServer } from '../../src/testing.js';
import { ProtocolClient, type Reply } from './protocol-client.js';
import { Backend } from './server-api.js';

/** A policy file in `dir`: a code check for one number past `cap` in an hour fails its session (rule `verify-cap`, reason 9807, at `verify`). */
export function verificationCapPolicy(dir: string, cap: number): string {
  const file = join(dir, 'verify-cap.json');
  const rule = { id: 'verify-cap', at: ['verify'], when: { signal: 'verifications_per_number_1h', op: '>=', value: cap }, action: 'fail', reason: 9807 };
  writeFileSync(file, JSON.stringify({ version: 1, rules: [rule] }));
  return file;
}

/** A code of the same length that is not `code`. */
export const wrongCode = (code: string): string => code.slice(0, -1) + String((Number(code.at(-1)) + 1) % 10);

export interface CodeSession {
  correlationId: string;
  phone: ProtocolClient;
  /** The code texted to this session (read from the outbox right after its send). */
  code: string;
}

/** A mobile session for `number` with its code sent. Open them one at a time: the code is the newest to `number`. */
export async function sessionWithCode(server: TestServer, number: string): Promise<CodeSession> {
  const started = await Backend.of(server).unify({ possessionType: 'mobile', phoneNumber: number });
  const phone = new ProtocolClient(started.authToken!);
  assert.deepEqual((await phone.otpStart()).body, { next: 'mobile/otp' });
  const message = (await server.outbox()).find((m) => m.to === number);
  return { correlationId: started.correlationId, phone, code: /\b(\d{4,6})\b/.exec(message?.body ?? '')![1]! };
}

/** Opens a session for `number` and enters `guess(code)`. */
export async function tryCode(server: TestServer, number: string, guess: (code: string) => string): Promise<{ correlationId: string; reply: Reply }> {
  const session = await sessionWithCode(server, number);
  return { correlationId: session.correlationId, reply: await session.phone.otpFinish(guess(session.code)) };
}

/** Sessions whose check rule `verify-cap` refused (one entry each: the rule is evaluated at the check only). */
export async function refusedChecks(server: TestServer): Promise<string[]> {
  const rows = await server.server.deps.db.kysely
    .selectFrom('session_events')
    .select('correlation_id')
    .where('type', '=', 'policy:verify-cap')
    .where('reason', '=', 'matched:fail:enforced:9807')
    .execute();
  return rows.map((r) => r.correlation_id);
}
