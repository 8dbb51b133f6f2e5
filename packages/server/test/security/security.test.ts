/**
 * Security properties: secrets are not recoverable from storage, tokens and signatures are bound
 * to their session, attempt caps hold under concurrency, and logs carry no secrets or numbers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { LOG_REDACT_PATHS } from '../../src/deps.js';
import { startTestServer } from '../../src/testing.js';
import { DeviceKey } from '../support/device-key.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend, latestMessage } from '../support/server-api.js';

describe('security', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a client secret and an access token cannot be found in the database files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'handset-sec-'));
    dirs.push(dir);
    const server = await startTestServer({ databaseUrl: join(dir, 'handset.db') });
    const backend = Backend.of(server);
    const accessToken = await backend.token();
    await server.close();
    const bytes = readdirSync(dir)
      .map((f) => readFileSync(join(dir, f)).toString('latin1'))
      .join('');
    assert.ok(bytes.includes(server.clientId), 'the files were read (the client id is there)');
    assert.ok(!bytes.includes(server.clientSecret), 'the secret is not stored');
    assert.ok(!bytes.includes(server.clientSecret.slice(4, 24)), 'not even a part of it');
    assert.ok(!bytes.includes(accessToken.slice(6)), 'access tokens are stored hashed');
  });

  it("an authToken works only for its own session; a Prove Key signature cannot be replayed into another session", async () => {
    const server = await startTestServer();
    try {
      const backend = Backend.of(server);
      const a = new ProtocolClient((await backend.unify({ possessionType: 'none', phoneNumber: '+12025550151' })).authToken!);
      const bUnify = await backend.unify({ possessionType: 'none', phoneNumber: '+12025550152' });
      const b = new ProtocolClient(bUnify.authToken!);
      const key = new DeviceKey();

      // Registration signed for A's challenge, replayed with B's token: refused.
      const registrationForA = {
        deviceName: 'x',
        deviceCapabilities: [],
        registrations: [{ publicKey: { id: key.keyId, alg: 'ES256', key: key.publicKeyPem, uvLevel: 0 }, signature: key.sign(a.claims.auth.chlg) }],
        signals: {},
      };
      const replayed = await b.call('/v1/client/device/passive/register', registrationForA);
      assert.equal(replayed.body.error?.code, 10000);
      assert.equal((await backend.status(bUnify.correlationId)).success, 'pending', "B's session is untouched");

      // A verify signature made for A, replayed into B: refused (the challenge is per session).
      const registered = await a.call<{ next: string; data?: { deviceId: string } }>('/v1/client/device/passive/register', registrationForA);
      key.deviceId = registered.body.data!.deviceId;
      const signatureForA = key.sign(`${key.deviceId}:${a.claims.auth.chlg}`);
      const c = new ProtocolClient((await backend.unify({ possessionType: 'none', phoneNumber: '+12025550151' })).authToken!);
      const replay = await c.call('/v1/client/device/passive/verify', { deviceId: key.deviceId, keyId: key.keyId, signature: signatureForA, signals: {} });
      assert.equal(replay.body.error?.code, 10000, 'the signature does not verify against C’s challenge');

      // A's token cannot act on B: whatever A does, B stays pending.
      await a.otpStart();
      assert.equal((await backend.status(bUnify.correlationId)).success, 'pending');

      // An authToken signed by another platform's key is refused.
      const other = await startTestServer();
      try {
        const foreign = (await Backend.of(other).unify({ possessionType: 'none', phoneNumber: '+12025550152' })).authToken!;
        const reply = await fetch(`${server.url}/v1/client/mobile/otp/start`, {
          method: 'POST',
          headers: { authorization: `Bearer ${foreign}`, 'content-type': 'application/json' },
          body: '{}',
        });
        assert.equal(reply.status, 401);
      } finally {
        await other.close();
      }
    } finally {
      await server.close();
    }
  });

  it('50 concurrent wrong OTP guesses never exceed the attempt cap', async () => {
    const server = await startTestServer();
    try {
      const backend = Backend.of(server);
      const started = await backend.unify({ possessionType: 'mobile', phoneNumber: '+12025550153', allowOTPRetry: true });
      const client = new ProtocolClient(started.authToken!);
      await client.reportError('device/passive', 'no storage');
      await client.otpStart();
      const { code } = await latestMessage(server, '+12025550153');
      const wrong = code === '0000' ? '0001' : '0000';
      const replies = await Promise.all(Array.from({ length: 50 }, () => client.otpFinish(wrong)));
      const retries = replies.filter((r) => (r.body.data as { code?: number } | undefined)?.code === 1).length;
      const exhausted = replies.filter((r) => r.body.error?.code === 10005).length;
      const refused = replies.filter((r) => r.body.error?.code === 10003).length;
      assert.equal(retries, 3, 'three re-entries');
      assert.equal(exhausted, 1, 'the fourth wrong code ends the session');
      assert.equal(refused, 46, 'every other guess is refused');
      const row = await server.server.deps.db.kysely
        .selectFrom('sessions')
        .select('otp_attempts')
        .where('correlation_id', '=', started.correlationId)
        .executeTakeFirstOrThrow();
      assert.equal(row.otp_attempts, 4);
      assert.equal((await backend.status(started.correlationId)).success, 'false');
      assert.equal((await client.otpFinish(code!)).body.error?.code, 10003, 'the right code is too late');
    } finally {
      await server.close();
    }
  });

  it('logs carry no full phone numbers, secrets or tokens', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = pino({ level: 'debug', redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' } }, sink);
    const server = await startTestServer({ overrides: { log }, mobileAuthNumbers: [] });
    try {
      const backend = Backend.of(server);
      const accessToken = await backend.token();
      const started = await backend.unify({ possessionType: 'desktop', phoneNumber: '+12025550154', finalTargetUrl: 'https://a.example/done' });
      const client = new ProtocolClient(started.authToken!);
      const socket = await client.openStatusSocket();
      await client.instantLinkStart();
      const { link } = await latestMessage(server, '+12025550154');
      await fetch(link!, { redirect: 'manual' });
      await socket.next();
      socket.close();
      await backend.post('/v3/unify', { possessionType: 'mobile', phoneNumber: 'bad-number', clientRequestId: 'r' });
      const text = lines.join('');
      assert.ok(lines.length > 5, 'requests were logged');
      assert.match(text, /\+1\*+0154/, 'numbers appear masked');
      for (const secret of ['2025550154', server.clientSecret, accessToken, started.authToken!.split('.')[2]!, link!.split('/').pop()!]) {
        assert.ok(!text.includes(secret), `log contains a secret or number: ${secret.slice(0, 6)}… in ${lines.find((l) => l.includes(secret))?.slice(0, 300)}`);
      }
    } finally {
      await server.close();
    }
  });
});
