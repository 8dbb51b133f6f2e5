/**
 * The fuzz oracle refuses every answer shape issue 9 found, so a pass of the fuzz run means
 * something: Fastify's own error bodies, string codes, `{error}`, HTML errors, empty bodies, 5xx.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { answerProblem, type Sent } from './oracle.js';
import type { RawAnswer } from './raw-http.js';

const GET: Sent = { method: 'GET', target: '/v1/client/status?token=a', head: false, hangUp: false };

function answer(status: number, body: string, type = 'application/json; charset=utf-8'): { answer: RawAnswer; answers: RawAnswer[]; timedOut: boolean } {
  return { answer: { status, headers: type ? { 'content-type': type } : {}, body: Buffer.from(body) }, answers: [], timedOut: false };
}

describe('fuzz oracle', () => {
  it('accepts successes, {code, message} errors and the Instant Link page', () => {
    assert.equal(answerProblem(GET, answer(200, '{"status":"ok"}')), null);
    assert.equal(answerProblem(GET, answer(400, '{"code":8001,"message":"m"}')), null);
    assert.equal(answerProblem(GET, answer(431, '{"code":8001,"message":"m"}')), null);
    assert.equal(answerProblem(GET, answer(429, '{"code":8012,"message":"m"}')), null);
    assert.equal(answerProblem({ ...GET, target: '/v1/il/abc' }, answer(410, '<!doctype html>', 'text/html; charset=utf-8')), null);
    assert.equal(answerProblem({ ...GET, hangUp: true }, { answer: null, answers: [], timedOut: false }), null);
  });

  it('refuses every shape issue 9 found, and silence', () => {
    const refused: Array<[Sent, ReturnType<typeof answer> | { answer: null; answers: []; timedOut: boolean }, RegExp]> = [
      [GET, answer(500, '{"code":8000,"message":"internal"}'), /status 500/],
      [GET, answer(400, '{"error":"Bad Request","message":"Client Error","statusCode":400}'), /not \{code, message\}/],
      [GET, answer(400, '{"code":"FST_ERR_BAD_URL","message":"m"}'), /code "FST_ERR_BAD_URL"/],
      [GET, answer(404, '{"error":"the carrier does not recognise this session"}'), /not \{code, message\}/],
      [GET, answer(400, 'Missing or invalid Sec-WebSocket-Key header', 'text/html'), /content-type 'text\/html'/],
      [GET, answer(404, '', ''), /content-type ''/],
      [GET, answer(400, '{"code":8001,"message":""}'), /empty message/],
      [GET, answer(404, '{"code":8001,"message":"m"}'), /8001 comes with HTTP 404/],
      [GET, answer(400, '{"code":9999,"message":"m"}'), /code 9999/],
      [{ ...GET, target: '/v1/il/abc/extra' }, answer(404, '<!doctype html>', 'text/html'), /text\/html/],
      [GET, { answer: null, answers: [], timedOut: true }, /no answer/],
    ];
    for (const [sent, result, pattern] of refused) assert.match(answerProblem(sent, result) ?? 'accepted', pattern);
  });
});
