/**
 * What may reach a log: database URLs without passwords, request URLs without tokens, free text
 * without tokens, secrets or full numbers — decided by shape, not by route or field.
 * @see issue 9 (secrets in logs)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loggableUrl } from '../../src/http/app.js';
import { redactDatabaseUrl, redactRequestUrl, redactUrl, scrubText, scrubValue } from '../../src/lib/redact.js';

const TOKEN = 'q3Jx0Vb2kLm9Zt7Yw1Hc5Nf8Rg4Dp6Sa2Ue0Io3Kj9'; // 32 random bytes, base64url
const JWT = 'eyJhbGciOiJFUzI1NiIsImtpZCI6ImsifQ.eyJhdXRoIjp7ImlkIjoiYSJ9fQ.MEUCIQDxN1b7aJ3q0F8wxYzu2GJQ5wq1t7Rk0s9JY0bWq4HA';
const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('database URLs', () => {
  it('hide the password in every form it can take', () => {
    const cases: Array<[string, string]> = [
      ['postgres://app:hunter2@db:5432/handset', 'postgres://app:***@db:5432/handset'],
      ['postgres://app@db/handset?password=hunter2', 'postgres://app@db/handset?password=***'],
      ['postgresql://db/handset?sslmode=require&password=hunter2', 'postgresql://db/handset?sslmode=require&password=***'],
      ['postgres://db/h?sslpassword=hunter2&sslkey=/etc/k.pem&passfile=/p', 'postgres://db/h?sslpassword=***&sslkey=***&passfile=***'],
      ['postgres://db/h?pass%77ord=hunter2', 'postgres://db/h?pass%77ord=***'],
      ['postgres://app:hun@ter2@db/h', 'postgres://app:***@db/h'],
      ['postgres://app:hun/ter2@db/h?password=x', 'postgres://***@db/h?***'],
      ['postgres://app:pw@/handset?host=/var/run/postgresql', 'postgres://***@/handset?***'],
      ['postgres://db/handset&password=hunter2', 'postgres://db/handset&password=***'],
    ];
    for (const [url, shown] of cases) {
      assert.equal(redactDatabaseUrl(url), shown, url);
      assert.ok(!redactDatabaseUrl(url).includes('hunter2') && !redactDatabaseUrl(url).includes('ter2'), url);
    }
  });
  it('keep what an operator needs: user, host, database, harmless parameters; paths unchanged', () => {
    const url = 'postgres://app@db.internal:5433/handset?sslmode=require&options=-c%20search_path%3Dhs_1&application_name=handset';
    assert.equal(redactDatabaseUrl(url), url);
    assert.equal(redactDatabaseUrl('./data/handset.db'), './data/handset.db');
    assert.equal(redactDatabaseUrl(':memory:'), ':memory:');
  });
});

describe('request URLs', () => {
  it('lose their query and every segment that is not a word, a version or a UUID, on any route and in any case', () => {
    assert.equal(redactRequestUrl(`/v1/il/${TOKEN}`), '/v1/il/[redacted]');
    assert.equal(redactRequestUrl(`/v1/IL/${TOKEN}`), '/v1/IL/[redacted]');
    assert.equal(redactRequestUrl(`/v3/unify-status/${JWT}`), '/v3/unify-status/[redacted]');
    assert.equal(redactRequestUrl(`/v1/Sandbox/CARRIER/${TOKEN}/x?r=f`), '/v1/Sandbox/CARRIER/[redacted]/x');
    assert.equal(redactRequestUrl(`/v1/client/status?token=${JWT}`), '/v1/client/status');
    assert.equal(redactRequestUrl('/v1/client/mobile/otp/finish/123456'), '/v1/client/mobile/otp/finish/[redacted]', 'a code');
    assert.equal(redactRequestUrl('/lookup/+12025550154'), '/lookup/[redacted]', 'a number');
    assert.equal(redactRequestUrl('/x/abcdefghijklmnopqrstuvwxyz'), '/x/[redacted]', 'letters only, but too long for a route name');
    assert.equal(redactRequestUrl('/x/a%2Fb'), '/x/[redacted]', 'percent-encoded');
  });
  it('keep route names, versions and ids', () => {
    for (const path of ['/v3/unify-status', '/v1/client/device/passive/register', '/openapi.json', '/healthz', '/dev/outbox', `/v3/unify-status/${UUID}`, '/']) {
      assert.equal(redactRequestUrl(path), path);
    }
    assert.equal(loggableUrl(`/v1/il/${TOKEN}?a=1`), '/v1/il/[redacted]', 'the request log uses the same rule');
  });
  it('full URLs lose their userinfo and query; file URLs stay (stack traces)', () => {
    assert.equal(redactUrl(`https://u:p@auth.example.com/v1/il/${TOKEN}?x=${TOKEN}`), 'https://***@auth.example.com/v1/il/[redacted]');
    assert.equal(redactUrl('file:///srv/app/src/http/app.ts:71:5'), 'file:///srv/app/src/http/app.ts:71:5');
  });
});

describe('free text', () => {
  it('loses JWTs and their parts, tokens, signatures, URL secrets and name=value secrets; numbers are masked', () => {
    const [, payload, signature] = JWT.split('.');
    const text = [
      `Bearer ${JWT}`,
      `payload ${payload} signature ${signature}`,
      `link http://127.0.0.1:8080/v1/IL/${TOKEN}`,
      `path "/v3/unify-status/${TOKEN}"`,
      `secret hss_${TOKEN}`,
      'sig MEUCIQDxN1b+7aJ3q0F8w/xYzu2GJQ5wq1t7Rk0s9JY0bWq4HAIgVn7b3h1Qy2y3J0kHk6J8uJ3cXhV+f7Q2a1r3yQyTqk0=',
      'url postgres://app:hunter2@db/h?sslpassword=hunter3',
      'config password=hunter4 client_secret=hunter5',
      `id=${TOKEN}`,
      'Key (phone)=(+12025550154) already exists; national 2025550155',
    ].join('\n');
    const scrubbed = scrubText(text);
    for (const secret of [JWT, payload!, signature!, TOKEN, 'MEUCIQDxN1b', 'hunter2', 'hunter3', 'hunter4', 'hunter5', '2025550154', '2025550155']) {
      assert.ok(!scrubbed.includes(secret), `${secret} in ${scrubbed}`);
    }
    assert.match(scrubbed, /\+1\*{6}0154/);
    assert.match(scrubbed, /http:\/\/127\.0\.0\.1:8080\/v1\/IL\/\[redacted\]/);
  });
  it('keeps ordinary messages, ids and stack traces as they are', () => {
    const stack = [
      'Error: aborted',
      '    at connResetException (node:internal/errors:720:14)',
      '    at process.processTicksAndRejections (node:internal/process/task_queues:82:21)',
      '    at file:///srv/app/packages/server/src/http/app.ts:71:5',
      '    at /srv/app/node_modules/fastify/lib/content-type-parser.js:271:13',
    ].join('\n');
    for (const text of [stack, 'Server listening at http://127.0.0.1:39217', `device ${UUID} unregistered`, 'field phoneNumber is invalid: must be string']) {
      assert.equal(scrubText(text), text);
    }
  });
  it('values: every string in an object, raw bytes dropped', () => {
    const scrubbed = scrubValue({ message: `bad ${JWT}`, detail: { phone: '+12025550154' }, rawPacket: Buffer.from('Authorization: x'), n: 1 });
    assert.deepEqual(scrubbed, { message: 'bad [redacted]', detail: { phone: '+1******0154' }, rawPacket: '[redacted]', n: 1 });
  });
});
