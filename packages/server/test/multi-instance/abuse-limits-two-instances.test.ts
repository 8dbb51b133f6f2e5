/**
 * The abuse bounds are counted in the database on PostgreSQL (`rate_limits`, rate-limiter-flexible),
 * so two instances on one database grant each budget once, not once per instance: per-address
 * calls, new challenge rows per address, `/token` per client, failed credentials. Access tokens
 * are handed out again per instance: at most one row per instance.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '@handset/protocol';
import type { TestServer } from '../../src/testing.js';
import { assertErrorBody } from '../support/assertions.js';
import { multiInstanceDatabase, startTwoServers, type TwoServers } from '../support/instances.js';

const database = multiInstanceDatabase();
const PER_ADDRESS = 10;
const CHALLENGES_PER_ADDRESS = 6;
const TOKENS_PER_CLIENT = 4;
const FAILURES = 3;

async function post(url: string, body: unknown, address: string, form = false): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json', 'x-forwarded-for': address },
    body: form ? new URLSearchParams(body as Record<string, string>).toString() : JSON.stringify(body),
  });
  const reply = { status: response.status, body: (await response.json()) as unknown };
  if (reply.status === 429) assert.ok(Number(response.headers.get('retry-after')) >= 1, 'Retry-After');
  return reply;
}

describe('abuse bounds shared by instances', { skip: database.skip }, () => {
  let servers: TwoServers;
  let a: TestServer;
  let b: TestServer;

  before(async () => {
    const options = {
      config: { trustProxy: ['loopback'] },
      limits: {
        publicPerIpPerMinute: PER_ADDRESS,
        challengesPerIp: CHALLENGES_PER_ADDRESS,
        tokenPerClientPerMinute: TOKENS_PER_CLIENT,
        tokenFailuresPerIp: FAILURES,
      },
    };
    servers = await startTwoServers('hs_multi', options);
    ({ a, b } = servers);
  });

  after(async () => {
    await servers?.close();
  });

  const either = (i: number): TestServer => (i % 2 === 0 ? a : b);
  const count = (replies: Array<{ status: number; body: unknown }>, status: number) => replies.filter((r) => r.status === status).length;

  it(`an address gets ${PER_ADDRESS} calls a minute from both instances together`, async () => {
    const replies = [];
    for (let i = 0; i < 3 * PER_ADDRESS; i++) {
      replies.push(await post(`${either(i).url}/v1/client/device/unregister`, { deviceId: 'unknown' }, '198.51.100.20'));
    }
    assert.equal(count(replies, 200), PER_ADDRESS);
    for (const reply of replies.filter((r) => r.status !== 200)) assertErrorBody(reply.body, ApiError.RATE_LIMITED.code);
  });

  it(`new challenge rows are capped at ${CHALLENGES_PER_ADDRESS} per address across instances`, async () => {
    const replies = await Promise.all(
      Array.from({ length: PER_ADDRESS }, (_, i) => post(`${either(i).url}/v1/client/challenge`, { deviceId: randomUUID() }, '198.51.100.21')),
    );
    assert.equal(count(replies, 200), CHALLENGES_PER_ADDRESS);
    assert.equal(count(replies, 429), PER_ADDRESS - CHALLENGES_PER_ADDRESS);
    const rows = await a.server.deps.db.kysely.selectFrom('challenges').select('challenge').execute();
    assert.equal(rows.length, CHALLENGES_PER_ADDRESS);
  });

  it(`/token grants a client ${TOKENS_PER_CLIENT} a minute across instances, and writes at most one token row per instance`, async () => {
    const form = { grant_type: 'client_credentials', client_id: a.clientId, client_secret: a.clientSecret };
    const replies = [];
    for (let i = 0; i < 3 * TOKENS_PER_CLIENT; i++) replies.push(await post(`${either(i).url}/token`, form, '203.0.113.20', true));
    assert.equal(count(replies, 200), TOKENS_PER_CLIENT);
    const tokens = await a.server.deps.db.kysely.selectFrom('access_tokens').select('token_hash').execute();
    assert.ok(tokens.length <= 2, `${tokens.length} access-token rows`);
  });

  it(`failed credentials from one address are counted across instances: after ${FAILURES}, 429 on both`, async () => {
    const wrong = { grant_type: 'client_credentials', client_id: a.clientId, client_secret: 'hss_wrong' };
    for (let i = 0; i < FAILURES; i++) assert.equal((await post(`${either(i).url}/token`, wrong, '203.0.113.21', true)).status, 401);
    for (const server of [a, b]) {
      const right = { grant_type: 'client_credentials', client_id: b.clientId, client_secret: b.clientSecret };
      const reply = await post(`${server.url}/token`, right, '203.0.113.21', true);
      assert.equal(reply.status, 429);
      assertErrorBody(reply.body, ApiError.RATE_LIMITED.code);
    }
  });
});
