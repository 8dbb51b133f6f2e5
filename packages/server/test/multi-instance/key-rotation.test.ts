/**
 * Rotating what instances share. The authToken signing key, without failing sessions in flight:
 * instances that mint with one key and accept the other (HANDSET_SIGNING_KEYS_ACCEPTED) take each
 * other's tokens; once the old key is dropped its tokens are refused; a malformed accepted-keys
 * setting stops start-up. A client secret (`handset clients rotate-secret`): the old secret is
 * refused by every instance at once, issued access tokens run out, the clientId stays.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { createScratchSchema, type ScratchSchema } from '../../src/store/scratch-schema.js';
import { DeviceKey } from '../support/device-key.js';
import { multiInstanceDatabase, runCli } from '../support/instances.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';

const database = multiInstanceDatabase();
const PHONE = '+12025550151';

function p256(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

describe('rotating shared keys and secrets across instances', { skip: database.skip }, () => {
  const oldKey = p256();
  const newKey = p256();
  let scratch: ScratchSchema;
  let servers: TestServer[] = [];
  /** Mints with the old key, accepts the new one (rotation step 1). */
  let before1: TestServer;
  /** Mints with the new key, accepts the old one (rotation step 2). */
  let during2: TestServer;
  /** The new key only (step 3, once sessions of the old key have expired). */
  let after3: TestServer;

  const start = async (signingKeyPem: string, acceptedSigningKeysPem: string | null): Promise<TestServer> => {
    const server = await startTestServer({ databaseUrl: scratch.url, config: { signingKeyPem, acceptedSigningKeysPem } });
    servers.push(server);
    return server;
  };

  before(async () => {
    scratch = await createScratchSchema(database.url!, 'hs_multi');
    before1 = await start(oldKey.privatePem, newKey.publicPem);
    during2 = await start(newKey.privatePem, oldKey.privatePem);
    after3 = await start(newKey.privatePem, null);
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
    await scratch?.drop();
  });

  /** A session started on `minter`; its authToken is signed with the minter's key. */
  async function tokenFrom(minter: TestServer): Promise<string> {
    const backend = new Backend(minter.url, before1.clientId, before1.clientSecret);
    return (await backend.unify({ possessionType: 'none', phoneNumber: PHONE })).authToken!;
  }

  it('an instance minting with the old key and one minting with the new key accept each other\'s tokens', async () => {
    const oldToken = await tokenFrom(before1);
    const newToken = await tokenFrom(during2);
    assert.equal((await new ProtocolClient(oldToken, during2.url).register(new DeviceKey())).status, 200);
    assert.equal((await new ProtocolClient(newToken, before1.url).register(new DeviceKey())).status, 200);
    const socket = await new ProtocolClient(newToken, before1.url).openStatusSocket();
    socket.close();
  });

  it('once the old key is dropped, its tokens are refused (8002) and the new key\'s are taken', async () => {
    const oldToken = await tokenFrom(before1);
    const refused = await new ProtocolClient(oldToken, after3.url).register(new DeviceKey());
    assert.equal(refused.status, 401);
    assert.equal((refused.body as unknown as { code: number }).code, 8002);
    await assert.rejects(new ProtocolClient(oldToken, after3.url).openStatusSocket(), /HTTP 401/);
    assert.equal((await new ProtocolClient(await tokenFrom(during2), after3.url).register(new DeviceKey())).status, 200);
  });

  it('start-up fails on an accepted-keys setting that holds no P-256 PEM key', async () => {
    await assert.rejects(start(newKey.privatePem, 'not a key'), /HANDSET_SIGNING_KEYS_ACCEPTED must hold PEM keys/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
    await assert.rejects(start(newKey.privatePem, rsa), /EC P-256/);
  });

  it('clients rotate-secret: the old secret is refused by every instance, the new one works, issued tokens keep working', async () => {
    const client = await before1.createClient('rotating');
    const onA = new Backend(before1.url, client.clientId, client.clientSecret);
    const issued = await onA.token();
    const rotated = JSON.parse(await runCli(['clients', 'rotate-secret', '--id', client.clientId, '--json', '--database', scratch.url])) as {
      clientId: string;
      clientSecret: string;
    };
    assert.equal(rotated.clientId, client.clientId);
    assert.notEqual(rotated.clientSecret, client.clientSecret);
    for (const server of [before1, during2]) {
      await assert.rejects(new Backend(server.url, client.clientId, client.clientSecret).token(), /401/);
      assert.ok(await new Backend(server.url, rotated.clientId, rotated.clientSecret).token());
    }
    const withIssued = await fetch(`${during2.url}/v3/unify-status`, {
      method: 'POST',
      headers: { authorization: `Bearer ${issued}`, 'content-type': 'application/json' },
      body: JSON.stringify({ correlationId: 'unknown' }),
    });
    assert.equal(withIssued.status, 400, 'the access token issued before the rotation still authenticates');
    await withIssued.body?.cancel();
    await assert.rejects(runCli(['clients', 'rotate-secret', '--id', 'hsc_unknown', '--database', scratch.url]), /no client hsc_unknown/);
  });
});
