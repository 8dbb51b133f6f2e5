/**
 * An authToken opens only the live session it was minted for, at every client call: the routes
 * that run a session step check it against the row the step locks, the others (the status socket,
 * the error reports that change nothing) read the session in the hook. Either way a token whose
 * session is gone, or a token of ours that was not minted for the session it names, gets the same
 * 401 and changes nothing.
 * @see issue 13 (the step routes stopped reading the session twice)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ClientPath, ERROR_REPORT_AREAS, type AuthTokenClaims } from '@handset/protocol';
import { signAuthToken } from '../../src/tokens/auth-token.js';
import { startTestServer, type TestServer } from '../../src/testing.js';
import { assertErrorBody } from '../support/assertions.js';
import { DeviceKey } from '../support/device-key.js';
import { decodeAuthToken, postJson, ProtocolClient } from '../support/protocol-client.js';
import { Backend } from '../support/server-api.js';

const NOT_LIVE = /^the authToken does not belong to a live session$/;

/** Every authenticated client call, with a body that passes validation (so the session check is what answers). */
function calls(claims: AuthTokenClaims): Array<[path: string, body: unknown]> {
  const key = new DeviceKey();
  return [
    [
      ClientPath.DEVICE_PASSIVE_REGISTER,
      {
        deviceName: 'x',
        deviceCapabilities: [],
        registrations: [{ publicKey: { id: key.keyId, alg: 'ES256', key: key.publicKeyPem, uvLevel: 0 }, signature: key.sign(claims.auth.chlg) }],
        signals: {},
      },
    ],
    [ClientPath.DEVICE_PASSIVE_VERIFY, { deviceId: '00000000-0000-4000-8000-000000000000', keyId: key.keyId, signature: key.sign('x'), signals: {} }],
    [ClientPath.MOBILE_INSTANT_START, {}],
    [ClientPath.MOBILE_INSTANT_FINISH, { vfp: 'x' }],
    [ClientPath.MOBILE_OTP_START, {}],
    [ClientPath.MOBILE_OTP_FINISH, { otp: '123456' }],
    [ClientPath.MOBILE_INSTANTLINK_START, {}],
    ...ERROR_REPORT_AREAS.map((area): [string, unknown] => [`/v1/client/${area}/error`, { code: 10002, message: 'x' }]),
  ];
}

describe('an authToken is bound to its live session at every client call', () => {
  let server: TestServer;
  let backend: Backend;
  before(async () => {
    server = await startTestServer();
    backend = Backend.of(server);
  });
  after(async () => server.close());

  const deps = () => server.server.deps;
  const sessionRow = (correlationId: string) =>
    deps().db.kysely.selectFrom('sessions').selectAll().where('correlation_id', '=', correlationId).executeTakeFirstOrThrow();
  const count = async (table: 'devices' | 'sms_outbox' | 'session_events') =>
    Number((await deps().db.kysely.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  /** A token signed with the server's own key for `claims.auth.id`, but with another token id. */
  const notMintedForIt = (claims: AuthTokenClaims, jti: string) => signAuthToken({ ...claims, jti }, deps().signingKey);

  it('a token whose session is gone, or that was not minted for it, gets 401 at every call and on the socket, and changes nothing', async () => {
    const gone = await backend.unify({ possessionType: 'mobile', phoneNumber: '+12025550161' });
    const live = await backend.unify({ possessionType: 'mobile', phoneNumber: '+12025550162' });
    // What the purge leaves: no row (the token itself is still signed and unexpired).
    await deps().db.kysely.deleteFrom('sessions').where('correlation_id', '=', gone.correlationId).execute();
    const liveClaims = decodeAuthToken(live.authToken!);
    const forged = notMintedForIt(liveClaims, 'another-token-id');
    const before = { row: await sessionRow(live.correlationId), devices: await count('devices'), texts: await count('sms_outbox'), events: await count('session_events') };

    for (const token of [gone.authToken!, forged]) {
      for (const [path, body] of calls(decodeAuthToken(token))) {
        const reply = await postJson(`${server.url}${path}`, body, { authorization: `Bearer ${token}` });
        assert.equal(reply.status, 401, `${path}: ${JSON.stringify(reply.body)}`);
        assertErrorBody(reply.body, 8002, NOT_LIVE);
      }
      await assert.rejects(new ProtocolClient(token, server.url).openStatusSocket(), /HTTP 401/);
    }

    assert.deepEqual(await sessionRow(live.correlationId), before.row, 'the live session is untouched');
    assert.equal(await count('devices'), before.devices, 'no device was registered');
    assert.equal(await count('sms_outbox'), before.texts, 'no text was sent');
    assert.equal(await count('session_events'), before.events, 'no timeline entry was written');
    // The genuine token still opens its session.
    const registered = await new ProtocolClient(live.authToken!, server.url).register(new DeviceKey());
    assert.equal(registered.status, 200);
    assert.equal(registered.body.next, 'mobile/instant');
  });

  it('a body that fails validation is refused before the step route looks at the session (400 before 401)', async () => {
    const gone = await backend.unify({ possessionType: 'mobile', phoneNumber: '+12025550163' });
    await deps().db.kysely.deleteFrom('sessions').where('correlation_id', '=', gone.correlationId).execute();
    const auth = { authorization: `Bearer ${gone.authToken!}` };
    const badBody = await postJson(`${server.url}${ClientPath.MOBILE_OTP_FINISH}`, { otp: 12 }, auth);
    assert.equal(badBody.status, 400);
    // A route without a step still checks the session first, as before.
    const hookChecked = await postJson(`${server.url}/v1/client/mobile/instantlink/error`, { code: 'not a number' }, auth);
    assert.equal(hookChecked.status, 401);
    assertErrorBody(hookChecked.body, 8002, NOT_LIVE);
  });

  it('property: interleaved genuine and not-minted-for-it tokens; only the genuine ones ever act', async () => {
    const paths = calls(decodeAuthToken((await backend.unify({ possessionType: 'mobile', phoneNumber: '+12025550164' })).authToken!)).map(([p]) => p);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ call: fc.nat({ max: paths.length - 1 }), forged: fc.boolean(), jti: fc.string({ minLength: 1, maxLength: 40 }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        async (sequence) => {
          const started = await backend.unify({ possessionType: 'mobile', phoneNumber: '+12025550165' });
          const claims = decodeAuthToken(started.authToken!);
          for (const { call, forged, jti } of sequence) {
            const token = forged && jti !== claims.jti ? notMintedForIt(claims, jti) : started.authToken!;
            const [path, body] = calls(claims)[call]!;
            const rowBefore = await sessionRow(started.correlationId);
            const reply = await postJson(`${server.url}${path}`, body, { authorization: `Bearer ${token}` });
            if (token === started.authToken) {
              assert.notEqual(reply.status, 401, `the genuine token at ${path}: ${JSON.stringify(reply.body)}`);
            } else {
              assert.equal(reply.status, 401, `a forged token at ${path}`);
              assert.deepEqual(await sessionRow(started.correlationId), rowBefore, `a forged call at ${path} changed the session`);
            }
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
