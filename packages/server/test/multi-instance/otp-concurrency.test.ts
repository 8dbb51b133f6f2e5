/**
 * Attempt caps and counters under concurrency across two `handset serve` processes on one
 * PostgreSQL database: 100 simultaneous wrong OTP guesses spread over both instances count
 * exactly the cap and end the session "false"; simultaneous resends send exactly the allowed
 * number of messages. The session row lock (SELECT … FOR UPDATE) is what makes this hold.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClientErrorCode, OTP_MAX_RESENDS, OTP_RETRIES_WHEN_ALLOWED, ValidationCode, type ClientEnvelope } from '@handset/protocol';
import pg from 'pg';
import { createScratchSchema, type ScratchSchema } from '../../src/store/scratch-schema.js';
import { DeviceKey } from '../support/device-key.js';
import { createClientWithCli, latestSms, multiInstanceDatabase, startInstance, type Instance } from '../support/instances.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';

const database = multiInstanceDatabase();
const GUESSES = 100;

/** Counts the replies by kind; anything unexpected fails the test with the reply in the message. */
function tally(replies: Array<{ status: number; body: ClientEnvelope }>): { rejected: number; exhausted: number; refused: number } {
  const counts = { rejected: 0, exhausted: 0, refused: 0 };
  for (const { status, body } of replies) {
    assert.equal(status, 200, JSON.stringify(body));
    if (body.next === 'mobile/otp' && body.data?.code === ValidationCode.INVALID_OTP) counts.rejected += 1;
    else if (body.next === 'done' && body.error?.code === ClientErrorCode.MAX_ATTEMPTS) counts.exhausted += 1;
    else if (body.next === '' && body.error?.code === ClientErrorCode.AUTHENTICATION_PROHIBITED_ACTION) counts.refused += 1;
    else assert.fail(`unexpected reply ${JSON.stringify(body)}`);
  }
  return counts;
}

describe('counters and caps across two instances', { skip: database.skip }, () => {
  let scratch: ScratchSchema;
  let a: Instance;
  let b: Instance;
  let backend: Backend;
  let sql: pg.Client;

  before(async () => {
    scratch = await createScratchSchema(database.url!, 'hs_multi');
    a = await startInstance(scratch.url);
    b = await startInstance(scratch.url);
    const credentials = await createClientWithCli(scratch.url);
    backend = new Backend(a.url, credentials.clientId, credentials.clientSecret);
    sql = new pg.Client({ connectionString: scratch.url });
    await sql.connect();
  });

  after(async () => {
    await sql?.end();
    await Promise.all([a?.stop(), b?.stop()]);
    await scratch?.drop();
  });

  /** A mobile session waiting for its OTP; returns the client and the code that was sent. */
  async function otpSession(phone: string, allowOTPRetry: boolean): Promise<{ client: ProtocolClient; code: string; correlationId: string }> {
    const started = await backend.unify({ possessionType: 'mobile', phoneNumber: phone, allowOTPRetry });
    const client = new ProtocolClient(started.authToken!, a.url);
    await client.deviceStep(new DeviceKey());
    assert.equal((await client.reportError('mobile/instant', 'no carrier', ClientErrorCode.AUTHENTICATION_EXTERNAL_FAILURE)).body.next, 'mobile/otp');
    assert.deepEqual((await client.otpStart()).body, { next: 'mobile/otp' });
    const { code } = await latestSms(a.url, phone);
    assert.ok(code);
    return { client, code: code!, correlationId: started.correlationId };
  }

  async function attempts(correlationId: string): Promise<{ otp_attempts: number; otp_resends: number; state: string }> {
    const { rows } = await sql.query('select otp_attempts, otp_resends, state from sessions where correlation_id = $1', [correlationId]);
    return rows[0];
  }

  for (const allowOTPRetry of [true, false]) {
    const cap = allowOTPRetry ? 1 + OTP_RETRIES_WHEN_ALLOWED : 1;
    it(`${GUESSES} concurrent wrong guesses over A and B count exactly the cap (${cap}) and end the session "false"`, async () => {
      const phone = allowOTPRetry ? '+12025550181' : '+12025550182';
      const { client, code, correlationId } = await otpSession(phone, allowOTPRetry);
      const wrong = code.startsWith('9') ? code.replace(/^9/, '8') : `9${code.slice(1)}`;
      const replies = await Promise.all(
        Array.from({ length: GUESSES }, (_, i) => client.via(i % 2 === 0 ? a.url : b.url).otpFinish(wrong)),
      );
      const counts = tally(replies);
      assert.deepEqual(counts, { rejected: cap - 1, exhausted: 1, refused: GUESSES - cap });
      const row = await attempts(correlationId);
      assert.equal(row.otp_attempts, cap, 'exactly the cap was counted');
      assert.equal(row.state, 'failed');
      assert.equal((await backend.status(correlationId)).success, 'false');
      assert.equal((await client.via(b.url).otpFinish(code)).body.error?.code, ClientErrorCode.AUTHENTICATION_PROHIBITED_ACTION, 'the right code is too late');
    });
  }

  it('concurrent resends over A and B send exactly the allowed number of messages', async () => {
    const phone = '+12025550183';
    const { client, correlationId } = await otpSession(phone, false);
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => client.via(i % 2 === 0 ? a.url : b.url).otpStart()));
    const sent = replies.filter((reply) => reply.body.data === undefined);
    assert.equal(sent.length, OTP_MAX_RESENDS, 'the allowed resends go out (the first send came before)');
    for (const reply of replies) {
      if (reply.body.data === undefined) assert.deepEqual(reply.body, { next: 'mobile/otp' });
      else assert.equal((reply.body.data as { code: number }).code, ValidationCode.TOO_MANY_MESSAGES, 'the rest are refused');
    }
    const response = await fetch(`${b.url}/dev/outbox`, { headers: { accept: 'application/json' } });
    const { messages } = (await response.json()) as { messages: Array<{ to: string }> };
    assert.equal(messages.filter((m) => m.to === phone).length, 1 + OTP_MAX_RESENDS, 'first send plus the allowed resends');
    assert.equal((await attempts(correlationId)).otp_resends, OTP_MAX_RESENDS);
  });
});
