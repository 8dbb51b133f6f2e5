/**
 * @module soak/json-http
 * The load generator's HTTP: `node:http` over keep-alive connections (one agent, a connection per
 * request in flight, reused), JSON bodies given as strings and answers parsed straight from the
 * received bytes. `fetch` (undici inside Node 20) costs several times more CPU per request (its
 * WHATWG streams, Headers and Response objects), which made the load generator as expensive as
 * the server it measures; `node:http` needs no dependency and is lean enough.
 */
import { Agent, request, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';

/** An answer: its status and its parsed JSON body (null when the body is empty). */
export interface JsonReply<T> {
  status: number;
  body: T;
}

const TIMEOUT_MS = 30_000;

/**
 * How long an idle connection stays in the pool (Node 19+'s own global agent uses the same).
 * Without it a free socket never expires on this side: Node 20's agent lowers a set `timeout` to
 * the server's `Keep-Alive: timeout=N` hint minus 1 s, but ignores the hint when no timeout is set.
 * The server (Fastify's 72 s, which Node closes at 73 s) would then drop a connection idle that
 * long, and if that happened while this process was busy (the key pool is filled synchronously
 * before a window), the close was not yet seen and the next request went out on it: "socket hang
 * up" (bench/README.md, "socket hang up"). Far below the server's limit, so even a long
 * synchronous stretch cannot span both deadlines.
 */
export const IDLE_CONNECTION_MS = 5_000;

export class JsonHttp {
  // keepAlive: connections are reused across requests; no maxSockets: one per request in flight.
  // keepAliveMsecs is TCP keep-alive probing, not how long an idle connection is kept: that is `timeout`.
  readonly #agent = new Agent({ keepAlive: true, keepAliveMsecs: 10_000, scheduling: 'lifo', timeout: IDLE_CONNECTION_MS });
  /** When each connection last went back to the pool: a failure on a reused one says how long it sat idle. */
  readonly #freedAt = new WeakMap<Socket, number>();

  constructor() {
    this.#agent.on('free', (socket: Socket) => this.#freedAt.set(socket, performance.now()));
  }

  /** `error`, saying so when it happened on a reused keep-alive connection (and how long that sat idle). */
  #described(req: ClientRequest, error: Error): Error {
    const freedAt = req.reusedSocket && req.socket ? this.#freedAt.get(req.socket) : undefined;
    if (freedAt === undefined) return error;
    error.message += ` (on a reused keep-alive connection, idle for ${((performance.now() - freedAt) / 1000).toFixed(1)} s)`;
    return error;
  }

  /** POST `body` (already JSON) to `origin + path`; resolves with the status and the parsed answer. */
  post<T>(origin: string, path: string, body: string, headers: OutgoingHttpHeaders): Promise<JsonReply<T>> {
    return new Promise((resolve, reject) => {
      const req = request(
        origin + path,
        { method: 'POST', agent: this.#agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => readJson<T>(res).then(resolve, reject),
      );
      req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error(`POST ${path}: no answer in ${TIMEOUT_MS} ms`)));
      req.once('error', (error) => reject(this.#described(req, error)));
      req.end(body);
    });
  }

  /** GET `url` without following redirects; resolves with the status once the answer is read. */
  get(url: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request(url, { agent: this.#agent }, (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', reject);
      });
      req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error(`GET: no answer in ${TIMEOUT_MS} ms`)));
      req.once('error', (error) => reject(this.#described(req, error)));
      req.end();
    });
  }

  /** Closes the idle connections. */
  close(): void {
    this.#agent.destroy();
  }
}

/** Reads an answer's body and parses it as JSON; one chunk (the usual case) is not copied. */
function readJson<T>(res: IncomingMessage): Promise<JsonReply<T>> {
  return new Promise((resolve, reject) => {
    let first: Buffer | null = null;
    let rest: Buffer[] | null = null;
    res.on('data', (chunk: Buffer) => {
      if (first === null) first = chunk;
      else (rest ??= [first]).push(chunk);
    });
    res.once('error', reject);
    res.once('end', () => {
      const bytes = rest ? Buffer.concat(rest) : first;
      try {
        resolve({ status: res.statusCode ?? 0, body: (bytes && bytes.length > 0 ? JSON.parse(bytes.toString('utf8')) : null) as T });
      } catch (error) {
        reject(new Error(`answer ${res.statusCode} is not JSON: ${(error as Error).message}`));
      }
    });
  });
}
