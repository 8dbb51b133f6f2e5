/**
 * @module e2e/bench/json-http.test
 * The load generator's HTTP client (scripts/soak/json-http.ts) drops a keep-alive connection it
 * has not used for IDLE_CONNECTION_MS itself, before the server would. Otherwise a server closing
 * idle connections while the load generator is busy (the bench fills its key pool synchronously
 * between measurements) leaves closed connections in the pool that the next requests go out on:
 * "socket hang up" (bench/README.md, "socket hang up").
 *
 * The server is a bare `node:http` one in a child process (it must keep running while this
 * process is blocked), with a keep-alive timeout just above the client's limit; it appends a line
 * to a file for every connection it sees close, which this process can read while blocked.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { IDLE_CONNECTION_MS, JsonHttp } from '../../scripts/soak/json-http.js';

/** Announces `timeout=7` with the client's 5 s: the client's own limit applies, not the hint. */
const SERVER_KEEP_ALIVE_MS = IDLE_CONNECTION_MS + 2_000;
const PARALLEL = 5;

const SERVER = `
const { createServer } = require('node:http');
const { appendFileSync } = require('node:fs');
const server = createServer((req, res) => { req.resume(); req.on('end', () => res.end('{"ok":true}')); });
server.keepAliveTimeout = Number(process.env.KEEP_ALIVE_MS);
server.on('connection', (socket) => socket.on('close', () => appendFileSync(process.env.CLOSED_FILE, 'x\\n')));
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

/** Blocks this process (as a synchronous key-pool fill does) until the server has seen `count` connections close. */
function blockUntilServerClosed(closedFile: string, count: number): void {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (existsSync(closedFile) && readFileSync(closedFile, 'utf8').length >= count * 2) return;
  }
  throw new Error(`the server did not close ${count} connections`);
}

describe('JsonHttp keep-alive connections', () => {
  const dir = mkdtempSync(join(tmpdir(), 'handset-json-http-'));
  const closedFile = join(dir, 'closed');
  let server: ChildProcess;
  let origin = '';

  before(async () => {
    server = spawn(process.execPath, ['-e', SERVER], {
      env: { ...process.env, KEEP_ALIVE_MS: String(SERVER_KEEP_ALIVE_MS), CLOSED_FILE: closedFile },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const port = await new Promise<string>((resolve) => server.stdout!.once('data', (c: Buffer) => resolve(c.toString().trim())));
    origin = `http://127.0.0.1:${port}`;
  });
  after(() => {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('requests after the server closed idle connections while this process was busy go out on new connections', async () => {
    const http = new JsonHttp();
    try {
      const first = await Promise.all(Array.from({ length: PARALLEL }, () => http.post(origin, '/', '{}', {})));
      assert.deepEqual(first.map((r) => r.status), Array(PARALLEL).fill(200));
      // Idle past the client's limit (its event loop free), then busy until the server has closed
      // its side of every connection: a client still holding them would reuse closed connections.
      await sleep(IDLE_CONNECTION_MS + 500);
      blockUntilServerClosed(closedFile, PARALLEL);
      const results = await Promise.allSettled(Array.from({ length: PARALLEL }, () => http.post(origin, '/', '{}', {})));
      assert.deepEqual(
        results.map((r) => (r.status === 'fulfilled' ? r.value.status : (r.reason as Error).message)),
        Array(PARALLEL).fill(200),
      );
    } finally {
      http.close();
    }
  });
});
