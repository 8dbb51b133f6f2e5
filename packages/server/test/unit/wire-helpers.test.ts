/**
 * Small pure helpers behind wire rules: atob-safe authToken JSON, phone numbers, SMS templates,
 * validation messages, origins and outcomes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, normalizeOrigin } from '../../src/config.js';
import { outcomeOf, unifyResult } from '../../src/flows/outcome.js';
import { otpLength, renderLink, renderOtp } from '../../src/flows/sms-templates.js';
import { loggableUrl } from '../../src/http/app.js';
import { validationMessage } from '../../src/http/error-handler.js';
import { maskPhone, normalizePhone } from '../../src/lib/phone.js';
import { atobSafeJson } from '../../src/tokens/atob-safe-json.js';
import type { SessionsTable } from '../../src/store/schema.js';

describe('atob-safe JSON', () => {
  it('escapes >, ?, ~, DEL and non-ASCII so the base64url payload has no - or _', () => {
    const value = { a: '>>>???~~~\u007f', b: 'é😀', c: 'plain' };
    const json = atobSafeJson(value);
    assert.ok(/^[\x20-\x7e]*$/.test(json), 'ASCII only');
    assert.ok(!/[>?~]/.test(json));
    assert.deepEqual(JSON.parse(json), value, 'still the same value');
    for (let shift = 0; shift < 3; shift++) {
      const encoded = Buffer.from(atobSafeJson({ pad: 'x'.repeat(shift), ...value })).toString('base64url');
      assert.ok(!/[-_]/.test(encoded), `no - or _ at shift ${shift}`);
    }
  });
  it('plain JSON.stringify of the same value would not be safe (the test can fail)', () => {
    const unsafe = [0, 1, 2].some((shift) => /[-_]/.test(Buffer.from(JSON.stringify({ pad: 'x'.repeat(shift), a: '>>>???~~~' })).toString('base64url')));
    assert.ok(unsafe);
  });
});

describe('phone numbers', () => {
  it('normalises US/Canada numbers with or without +1, and international numbers with +', () => {
    assert.equal(normalizePhone('2001004018'), '+12001004018', 'unassigned area code 200 is possible');
    assert.equal(normalizePhone('+12001004018'), '+12001004018');
    assert.equal(normalizePhone('12025550123'), '+12025550123');
    assert.equal(normalizePhone('+447968900002'), '+447968900002');
    assert.equal(normalizePhone('+2001004029'), '+2001004029');
  });
  it('the +1 fast path agrees with libphonenumber', async () => {
    const { parsePhoneNumberFromString } = await import('libphonenumber-js/max');
    for (let i = 0; i < 500; i++) {
      const ten = `${2 + (i % 8)}${String(i * 7919).padStart(9, '0').slice(-9)}`;
      for (const raw of [ten, `1${ten}`, `+1${ten}`]) {
        const reference = parsePhoneNumberFromString(raw, raw.startsWith('+') ? undefined : 'US');
        assert.equal(normalizePhone(raw), reference?.isPossible() ? reference.number : null, raw);
      }
    }
  });
  it('refuses what cannot be a phone number', () => {
    for (const bad of ['', 'abc', '123', '+', '+1', '202-555-0123', '2025550123x', '+99912345678901234567']) {
      assert.equal(normalizePhone(bad), null, bad);
    }
  });
  it('masks all but the country code and the last four digits', () => {
    assert.equal(maskPhone('+12001004018'), '+1******4018');
    assert.ok(!maskPhone('+447968900002').includes('79689'));
    assert.equal(maskPhone(null), '(none)');
  });
});

describe('SMS templates', () => {
  it('reads the code length from 4 to 6 #', () => {
    assert.equal(otpLength('#### code'), 4);
    assert.equal(otpLength('code #####'), 5);
    assert.equal(otpLength('x ###### y'), 6);
    assert.equal(otpLength('no placeholder'), null);
    assert.equal(otpLength('### too short'), null);
    assert.equal(otpLength('####### too long'), null);
    assert.equal(otpLength('#### and ####'), null, 'exactly one placeholder');
    assert.equal(renderOtp('Code ##### now', '12345'), 'Code 12345 now');
    assert.equal(renderLink('Open ####', 'https://x/y'), 'Open https://x/y');
  });
});

describe('validation messages', () => {
  it('name the missing or invalid field', () => {
    assert.equal(validationMessage([{ keyword: 'required', instancePath: '', params: { missingProperty: 'phoneNumber' } }], 'body'), "field 'phoneNumber' is missing");
    assert.equal(
      validationMessage([{ keyword: 'required', instancePath: '/registrations/0', params: { missingProperty: 'signature' } }], 'body'),
      "field 'registrations.0.signature' is missing",
    );
    assert.match(validationMessage([{ keyword: 'maxLength', instancePath: '/smsMessage', params: { limit: 160 } }], 'body'), /at most 160/);
    assert.match(validationMessage([{ keyword: 'type', instancePath: '', params: {} }], 'body'), /JSON object/);
    assert.equal(validationMessage([], 'body'), 'the request is malformed');
  });
});

describe('configuration', () => {
  it('has self-hosting defaults and reads HANDSET_* variables; flags win', () => {
    const config = loadConfig({}, {});
    assert.equal(config.port, 8080);
    assert.equal(config.databaseUrl, './data/handset.db');
    assert.equal(config.publicUrl, 'http://127.0.0.1:8080');
    assert.equal(config.sandbox, false);
    const fromEnv = loadConfig({}, { HANDSET_PORT: '9000', HANDSET_SANDBOX: 'true', HANDSET_PUBLIC_URL: 'https://Auth.Example.com:443/' });
    assert.equal(fromEnv.port, 9000);
    assert.equal(fromEnv.sandbox, true);
    assert.equal(fromEnv.publicUrl, 'https://auth.example.com', 'bare origin, lowercase, no default port (C5)');
    assert.equal(loadConfig({ port: '7000' }, { HANDSET_PORT: '9000' }).port, 7000);
    assert.deepEqual(loadConfig({}, { HANDSET_DEV: '1', HANDSET_MOBILE_AUTH_NUMBERS: '2025550123, +447968900002' }).mobileAuthNumbers, ['+12025550123', '+447968900002']);
  });
  it('refuses bad values with a clear error', () => {
    assert.throws(() => loadConfig({}, { HANDSET_PORT: 'eighty' }), ConfigError);
    assert.throws(() => loadConfig({}, { HANDSET_SANDBOX: 'maybe' }), /boolean/);
    assert.throws(() => normalizeOrigin('https://auth.example.com/path'), /bare origin/);
    assert.throws(() => normalizeOrigin('ftp://x'), /http or https/);
    assert.throws(() => normalizeOrigin('not a url'), /not a URL/);
    assert.throws(() => loadConfig({}, { HANDSET_DEV: '1', HANDSET_MOBILE_AUTH_NUMBERS: 'abc' }), /not a phone number/);
  });
});

describe('outcomes and logs', () => {
  const session = { phone_display: '2025550123', prove_id: 'p', client_human_id: null, failure_reason: null } as SessionsTable;
  it('maps states to the four success strings and omits absent fields', () => {
    assert.equal(outcomeOf('created'), 'pending');
    assert.equal(outcomeOf('otp_sent'), 'pending');
    assert.equal(outcomeOf('possession_required'), 'possession_required');
    assert.equal(outcomeOf('succeeded'), 'true');
    assert.equal(outcomeOf('failed'), 'false');
    assert.deepEqual(unifyResult(session, 'created', {}), { success: 'pending', phoneNumber: '2025550123' });
    assert.deepEqual(unifyResult(session, 'succeeded', { deviceId: 'd', clientRequestId: 'r' }), {
      success: 'true',
      phoneNumber: '2025550123',
      proveId: 'p',
      deviceId: 'd',
      clientRequestId: 'r',
      evaluation: { authentication: { result: 'pass' } },
    });
  });
  it('logs no query strings and no one-time link tokens', () => {
    assert.equal(loggableUrl('/v1/client/status?token=abc'), '/v1/client/status');
    assert.equal(loggableUrl('/v1/il/Qm9vbTI0Ynl0ZXNvZnJhbmRvbQ'), '/v1/il/[redacted]');
    assert.equal(loggableUrl('/v1/sandbox/carrier/Qm9vbTI0Ynl0ZXNvZnJhbmRvbQ?r=f'), '/v1/sandbox/carrier/[redacted]');
  });
});

describe('authToken', () => {
  it('is a standard ES256 JWT (jose verifies it) whose payload decodes with atob', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { jwtVerify } = await import('jose');
    const { signAuthToken, AuthTokenVerifier } = await import('../../src/tokens/auth-token.js');
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = { kid: 'k', privateKey, publicKey, generated: true };
    const claims = {
      iat: 1_700_000_000,
      exp: 1_700_000_900,
      jti: 'j',
      auth: { id: 'a>?~', ans: 'n', endp: 'https://x', chlg: '???>>>', next: 'device/passive' as const, subs: {} },
    };
    const token = signAuthToken(claims, key);
    const { payload } = await jwtVerify(token, publicKey, { currentDate: new Date(1_700_000_100_000) });
    assert.equal((payload as { auth: { id: string } }).auth.id, 'a>?~');
    assert.ok(!/[-_]/.test(token.split('.')[1]!));
    const verifier = new AuthTokenVerifier(key);
    assert.deepEqual(verifier.verify(token, 1_700_000_100_000), { ok: true, claims });
    assert.deepEqual(verifier.verify(token, 1_700_000_900_000), { ok: false, problem: 'expired' });
    const [h, p, s] = token.split('.');
    assert.deepEqual(verifier.verify(`${h}.${p}x.${s}`, 0), { ok: false, problem: 'bad_signature' });
    assert.deepEqual(verifier.verify('a.b', 0), { ok: false, problem: 'malformed' });
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    assert.deepEqual(new AuthTokenVerifier({ ...key, publicKey: other.publicKey }).verify(token, 0), { ok: false, problem: 'bad_signature' });
  });
});
