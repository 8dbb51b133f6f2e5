/**
 * Logs hold no secret from any source: every flow runs against a server logging at debug level,
 * plus requests that put tokens where they do not belong (unknown paths in odd case, queries,
 * a refused WebSocket upgrade), and the captured log is searched for every secret, token,
 * code, signature and full number the run created. Also: a client that aborts mid-body is an
 * info line, not an error; a database password given in any URL form is not printed at start-up.
 * @see issue 9 (secrets in logs)
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import pino from 'pino';
import { createLogger, skipRedactingPrimitives } from '../../src/deps.js';
import { createScratchSchema } from '../../src/store/scratch-schema.js';
import { startTestServer, testDatabaseUrl, type TestServer } from '../../src/testing.js';
import { DeviceKey } from '../support/device-key.js';
import { startInstance } from '../support/instances.js';
import { ProtocolClient } from '../support/protocol-client.js';
import { Backend, latestMessage } from '../support/server-api.js';

const MOBILE_AUTH = '+12025550161';
const OTP = '+12025550162';
const DESKTOP = '+12025550163';
const SUPPLIED = '+12025550164';
const CHANGED = '+12025550165';

/** A Prove Key that remembers every signature it made. */
class RecordingKey extends DeviceKey {
  readonly signatures: string[] = [];
  override sign(message: string): string {
    const signature = super.sign(message);
    this.signatures.push(signature);
    return signature;
  }
}

/** A logger at debug level writing JSON lines into memory, as the platform builds it. */
function capturedLog(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { log: createLogger('debug', sink), lines };
}

/** Every string value of a parsed log line, with its key (reqId and hostname left out: counters). */
function stringValues(value: unknown, key = ''): Array<[string, string]> {
  if (typeof value === 'string') return key === 'reqId' || key === 'hostname' ? [] : [[key, value]];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => stringValues(v, k));
}

async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('log redaction', () => {
  describe('the whole flow suite at debug level', () => {
    const { log, lines } = capturedLog();
    let server: TestServer;
    let backend: Backend;
    /** Long secrets and tokens: none may appear anywhere in the log. */
    const secrets: string[] = [];
    /** One-time codes: short, so searched as whole values or whole words inside strings. */
    const codes: string[] = [];
    /** Numbers used, as national digits: only masked forms may appear. */
    const numbers = [MOBILE_AUTH, OTP, DESKTOP, SUPPLIED, CHANGED].map((n) => n.slice(2));
    let linkToken = '';

    function keep(...values: Array<string | undefined>): void {
      for (const value of values) {
        assert.ok(typeof value === 'string' && value.length >= 16, `a secret to look for: ${value}`);
        secrets.push(value);
      }
    }

    function keepAuthToken(authToken: string): ProtocolClient {
      const [, payload, signature] = authToken.split('.');
      const client = new ProtocolClient(authToken);
      keep(authToken, payload, signature, client.claims.auth.chlg);
      return client;
    }

    before(async () => {
      server = await startTestServer({ mobileAuthNumbers: [MOBILE_AUTH], overrides: { log } });
      backend = Backend.of(server);
      keep(server.clientSecret, await backend.token());
    });
    after(() => server.close());

    it('mobile with Mobile Auth, then the same device again', async () => {
      const key = new RecordingKey();
      const started = await backend.unify({ possessionType: 'mobile', phoneNumber: MOBILE_AUTH.slice(2) });
      const client = keepAuthToken(started.authToken!);
      await client.deviceStep(key);
      // Mobile Auth step by step, to keep the carrier token and the vfp.
      const start = await client.call<{ data?: { redirectUrl: string } }>('/v1/client/mobile/instant/start', { cellularIp: null, implementation: 'fetch' });
      const redirect = start.body.data!.redirectUrl;
      const { vfp } = (await (await fetch(`${redirect}?r=f&sdkVersion=3.2.5`)).json()) as { vfp: string };
      keep(redirect.split('/').pop(), vfp);
      assert.deepEqual((await client.call('/v1/client/mobile/instant/finish', { vfp })).body, { next: 'done' });
      const again = keepAuthToken((await backend.unify({ possessionType: 'mobile', phoneNumber: MOBILE_AUTH })).authToken!);
      assert.deepEqual((await again.deviceStep(key)).body, { next: 'done' });
      keep(...key.signatures);
    });

    it('mobile with OTP fallback: a wrong code, a resend with a 6-digit template, a change of number, the right code', async () => {
      const key = new RecordingKey();
      const started = await backend.unify({ possessionType: 'mobile', phoneNumber: OTP, allowOTPRetry: true, smsMessage: 'Code ###### for Handset' });
      const client = keepAuthToken(started.authToken!);
      await client.deviceStep(key);
      await client.mobileAuth();
      await client.reportError('mobile/instant', 'Mobile Auth failed', 10002);
      await client.otpStart();
      const first = await latestMessage(server, OTP);
      codes.push(first.code!);
      const wrong = first.code === '000000' ? '111111' : '000000';
      assert.equal((await client.otpFinish(wrong)).body.next, 'mobile/otp');
      await client.otpStart(CHANGED);
      const second = await latestMessage(server, CHANGED);
      codes.push(second.code!);
      assert.deepEqual((await client.otpFinish(second.code!)).body, { next: 'done' });
      assert.equal((await backend.status(started.correlationId)).success, 'true');
      keep(...key.signatures);
    });

    it('desktop Instant Link with the status socket', async () => {
      const started = await backend.unify({ possessionType: 'desktop', phoneNumber: DESKTOP, finalTargetUrl: 'https://shop.example/done' });
      const client = keepAuthToken(started.authToken!);
      const socket = await client.openStatusSocket();
      await client.instantLinkStart();
      const { link } = await latestMessage(server, DESKTOP);
      linkToken = link!.split('/').pop()!;
      keep(linkToken);
      assert.equal((await fetch(link!, { redirect: 'manual' })).status, 302);
      assert.deepEqual(JSON.parse(await socket.next()), { next: 'done' });
      socket.close();
    });

    it('customer-supplied bind, signed unregister, revoke', async () => {
      const key = new RecordingKey();
      const started = await backend.unify({ possessionType: 'none', phoneNumber: SUPPLIED });
      const client = keepAuthToken(started.authToken!);
      assert.equal((await client.deviceStep(key)).body.next, 'done');
      assert.equal((await backend.bind(started.correlationId, SUPPLIED)).body.success, 'true');

      const path = '/v1/client/device/unregister';
      const body = JSON.stringify({ deviceId: key.deviceId });
      const challenge = await fetch(`${server.url}/v1/client/challenge`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ deviceId: key.deviceId }),
      });
      const { challenge: value } = (await challenge.json()) as { challenge: string };
      keep(value);
      const unregistered = await fetch(server.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...key.signRequest(path, body, value) },
        body,
      });
      assert.equal(unregistered.status, 200);

      const other = new RecordingKey();
      const again = keepAuthToken((await backend.unify({ possessionType: 'none', phoneNumber: SUPPLIED })).authToken!);
      await again.deviceStep(other);
      const revoked = await backend.post('/v3/device/revoke', { clientRequestId: 'r', deviceId: other.deviceId });
      assert.equal(revoked.status, 200);
      keep(...key.signatures, ...other.signatures);
    });

    it('tokens put where they do not belong: odd-case and unknown paths, queries, a refused WebSocket upgrade', async () => {
      const authToken = secrets.find((s) => s.startsWith('eyJ') && s.split('.').length === 3)!;
      const probes = [
        `/v1/IL/${linkToken}`,
        `/V1/il/${linkToken}`,
        `/v3/unify-status/${authToken}`,
        `/v1/client/status?token=${encodeURIComponent(authToken)}`,
        `/token?client_secret=${server.clientSecret}`,
        `/anything/${server.clientSecret}/${MOBILE_AUTH}/${codes[0]}`,
      ];
      for (const path of probes) await (await fetch(server.url + path)).body?.cancel();
      await backend.post('/v3/unify', { possessionType: 'mobile', phoneNumber: `x${OTP}`, clientRequestId: 'r' });
      // (An upgrade on an unknown path would leave its socket open: see the report of issue 9.)
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/client/status?token=${encodeURIComponent(`${authToken}x`)}`);
      await new Promise<void>((resolve) => {
        ws.once('error', () => resolve());
        ws.once('close', () => resolve());
        ws.once('unexpected-response', (_request, response) => {
          response.resume();
          resolve();
        });
      });
      ws.terminate();
      assert.ok(lines.some((l) => l.includes('"/v1/IL/[redacted]"')), 'the odd-case Instant Link path is logged, redacted');
    });

    it('the log holds none of the secrets, tokens, signatures, codes or full numbers the run created', (t) => {
      assert.ok(lines.length > 30, `requests were logged at debug level (${lines.length} lines)`);
      assert.ok(secrets.length > 20 && codes.length === 2, 'the flows recorded what to look for');
      const text = lines.join('\n');
      assert.match(text, /\+1\*{6}0162/, 'numbers appear masked');
      for (const secret of secrets) {
        const line = lines.find((l) => l.includes(secret));
        assert.equal(line, undefined, `the log contains ${secret.slice(0, 8)}…: ${line?.slice(0, 400)}`);
      }
      for (const number of numbers) {
        const line = lines.find((l) => l.includes(number));
        assert.equal(line, undefined, `the log contains the number ${number}: ${line?.slice(0, 400)}`);
      }
      t.diagnostic(`${lines.length} log lines searched for ${secrets.length} secrets and tokens, ${codes.length} codes, ${numbers.length} numbers`);
      for (const line of lines) {
        for (const [key, value] of stringValues(JSON.parse(line))) {
          for (const code of codes) {
            assert.ok(!new RegExp(`(?<![\\w-])${code}(?![\\w-])`).test(value), `the log contains the code ${code} in ${key}: ${line.slice(0, 400)}`);
          }
        }
      }
    });
  });

  it('the platform logger keeps secrets out of what libraries log: URL fields, error objects, message strings', () => {
    const { log, lines } = capturedLog();
    const token = randomBytes(32).toString('base64url');
    const jwt = `eyJhbGciOiJFUzI1NiJ9.${Buffer.from(JSON.stringify({ chlg: token })).toString('base64url')}.${randomBytes(64).toString('base64url')}`;
    log.info({ path: `/v1/client/nope?token=${jwt}` }, 'closed incoming websocket connection for path with no websocket handler');
    log.info({ req: { method: 'GET', url: `/V1/Il/${token}`, headers: { authorization: `Bearer ${jwt}`, cookie: `sid=${token}` } } }, 'incoming request');
    log.warn(`Reply was already sent, did you forget to "return reply" in the "/v1/IL/${token}" (GET) route?`);
    log.error({ err: Object.assign(new TypeError('Invalid URL'), { input: 'postgres://app:pw-1f3a@db/h?password=pw-9c2e' }) }, 'cannot open the database');
    log.error({ err: Object.assign(new Error('duplicate key'), { detail: 'Key (phone)=(+12025550166) already exists.', rawPacket: Buffer.from(`Authorization: Bearer ${jwt}`) }) }, 'unexpected error');
    log.info({ database: 'postgres://app@db/h?sslpassword=pw-77d1' }, 'handset is listening');
    const text = lines.join('\n');
    for (const secret of [token, jwt, jwt.split('.')[1]!, 'pw-1f3a', 'pw-9c2e', 'pw-77d1', '2025550166']) {
      assert.ok(!text.includes(secret), `the log contains ${secret.slice(0, 8)}…: ${lines.find((l) => l.includes(secret))}`);
    }
    assert.equal(lines.length, 6, 'every line was written');
    assert.match(text, /"path":"\/v1\/client\/nope"/);
    assert.match(text, /\/V1\/Il\/\[redacted\]/);
    assert.match(text, /\+1\*{6}0166/);
    assert.match(text, /"database":"postgres:\/\/app@db\/h\?sslpassword=\*\*\*"/);
  });

  it('primitives skip the wildcard redactor and print exactly as pino prints them; objects are still redacted', () => {
    const { log } = capturedLog();
    type Stringifiers = Record<symbol, (value: unknown, ...rest: unknown[]) => string | undefined>;
    const stringifiersOf = (logger: object): Stringifiers => (logger as Record<symbol, Stringifiers>)[pino.symbols.stringifiersSym]!;
    // If pino moves its stringifiers, the fast path is gone: this says so.
    assert.equal(typeof stringifiersOf(log)[pino.symbols.wildcardFirstSym], 'function', "pino's wildcard stringifier is where deps.ts expects it");
    const options = { level: 'debug', redact: { paths: ['*.otp', '*.url', 'url'], censor: '[REDACTED]' }, base: null, timestamp: false };
    const sink = (into: string[]): Writable => new Writable({ write: (chunk: Buffer, _e, done) => (into.push(chunk.toString().trim()), done()) });
    // The same configuration without the fast path: what every line must equal.
    const plain: string[] = [];
    const reference = pino(options, sink(plain));
    const fast: string[] = [];
    const ours = pino(options, sink(fast));
    // Count the calls that reach pino's own wildcard redactor.
    let redactorCalls = 0;
    const original = stringifiersOf(ours)[pino.symbols.wildcardFirstSym]!;
    stringifiersOf(ours)[pino.symbols.wildcardFirstSym] = (...args) => (redactorCalls++, original(...args));
    skipRedactingPrimitives(ours);
    const primitives = [
      { text: 'quote " backslash \\ newline \n tab \t', unicode: 'é中🙂', lone: '\ud800x', empty: '' },
      { int: 42, float: -1.5, zero: 0, huge: 1e300, nan: Number.NaN, inf: Number.POSITIVE_INFINITY, yes: true, no: false, nothing: null, gone: undefined },
    ];
    for (const f of primitives) {
      reference.info(f, 'message "quoted"');
      ours.info(f, 'message "quoted"');
      reference.child({ reqId: 'req-1', n: 7 }).info(f);
      ours.child({ reqId: 'req-1', n: 7 }).info(f);
    }
    assert.equal(redactorCalls, 0, 'no primitive went through the redactor');
    const objects = { nested: { otp: '123456', keep: 'k' }, list: [1, 'two', { otp: '9' }], deep: { a: { otp: '7' } }, url: '/secret' };
    reference.info(objects);
    ours.info(objects);
    assert.equal(redactorCalls, 3, 'the three object fields went through it');
    assert.deepEqual(fast, plain);
    assert.ok(fast.at(-1)!.includes('"nested":{"otp":"[REDACTED]","keep":"k"}'), fast.at(-1));
    assert.ok(!fast.some((l) => l.includes('123456') || l.includes('/secret')), fast.join('\n'));
  });

  // The two ways a client goes away: closing its socket (FIN: a closed tab, a killed process) and
  // a reset (RST). Headers with `Expect: 100-continue` first, so the request is surely under way.
  for (const [how, hangUp] of [
    ['closes its socket', (socket: Socket) => socket.destroy()],
    ['resets its connection', (socket: Socket) => socket.resetAndDestroy()],
  ] as const) {
    it(`a client that ${how} mid-body is an info line "request aborted by the client", not an error`, async () => {
      const { log, lines } = capturedLog();
      const server = await startTestServer({ overrides: { log } });
      try {
        const accessToken = await Backend.of(server).token();
        const { hostname, port } = new URL(server.url);
        const socket = connect(Number(port), hostname);
        socket.on('error', () => {});
        await new Promise<void>((resolve) => socket.once('connect', resolve));
        const half = '{"possessionType":"mobile","phoneNum';
        const answered = new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString())));
        socket.write(
          `POST /v3/unify HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${accessToken}\r\nExpect: 100-continue\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${half.length * 2}\r\n\r\n`,
        );
        assert.match(await answered, /^HTTP\/1\.1 100 Continue/);
        socket.write(half);
        // Give the server a moment to read the half body, then go.
        await new Promise((resolve) => setTimeout(resolve, 300));
        hangUp(socket);
        const aborted = await until(
          () => lines.find((l) => l.includes('request aborted by the client')),
          'the abort line (none: was the request left waiting for its body after the client went away?)',
        );
        const entry = JSON.parse(aborted) as { level: number; url: string; method: string };
        assert.equal(entry.level, 30, 'info');
        assert.deepEqual([entry.method, entry.url], ['POST', '/v3/unify']);
        const unify = await Backend.of(server).unify({ possessionType: 'mobile', phoneNumber: OTP });
        assert.equal(unify.success, 'pending', 'the server serves the next request');
        const errors = lines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50 || l.includes('database unavailable'));
        assert.deepEqual(errors, [], 'no error line');
      } finally {
        await server.close();
      }
    });
  }

  // Only in the PostgreSQL pass (npm test runs this file in both): the SQLite pass has no server to
  // print a PostgreSQL URL for, and a skip there would read as a gap in CI's closing line.
  const pgUrl = testDatabaseUrl();
  if (pgUrl) it(
    'handset serve prints its PostgreSQL URL without the password, given as user:password@ or as ?password=',
    async () => {
      const scratch = await createScratchSchema(pgUrl, 'hs_test');
      try {
        // Trust authentication ignores both passwords, so the server starts with them.
        const url = new URL(scratch.url);
        url.password = 'pw-in-userinfo-1f3a';
        url.searchParams.append('password', 'pw-in-query-9c2e');
        const instance = await startInstance(url.toString(), { HANDSET_LOG_LEVEL: 'info' });
        await instance.stop();
        const output = instance.output();
        assert.match(output, /handset is listening/);
        assert.match(output, /"database":"postgres:\/\/[^"]*:\*\*\*@[^"]*password=\*\*\*/, 'the location is shown, masked');
        assert.ok(!output.includes('pw-in-userinfo') && !output.includes('pw-in-query'), output);
      } finally {
        await scratch.drop();
      }
    },
  );
});
