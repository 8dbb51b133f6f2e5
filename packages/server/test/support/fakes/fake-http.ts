/**
 * The common part of the SMS provider fakes: a node:http server on 127.0.0.1:0 that records every
 * request, lets the provider-specific subclass check it against the real API's documentation
 * (every mismatch is kept in `violations`, which each test asserts empty) and answers with the
 * next scripted outcome. Outcomes shared by every provider: `hang` (never answers), `non-json`
 * (a 2xx HTML page) and `truncated` (a 2xx whose body breaks off); a `raw` answer lets property
 * tests send anything.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the fake received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The body parsed as a form (empty when it is not one). */
  form: URLSearchParams;
}

/** An answer written as given (status, headers, body). */
export interface RawAnswer {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

/** Outcomes every fake can play; subclasses add their own names. */
export type CommonOutcome = 'hang' | 'non-json' | 'truncated' | { raw: RawAnswer };

export abstract class FakeHttpServer<Outcome extends string> {
  readonly requests: RecordedRequest[] = [];
  readonly violations: string[] = [];
  /** Milliseconds to wait before answering each request (a slow provider: the courier's crash test). */
  delayMs = 0;
  #server: Server | undefined;
  #script: (Outcome | CommonOutcome)[] = [];
  #default: Outcome | CommonOutcome;

  protected constructor(defaultOutcome: Outcome) {
    this.#default = defaultOutcome;
  }

  /** The base URL (`http://127.0.0.1:port`). */
  get url(): string {
    const address = this.#server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('fake not started');
    return `http://127.0.0.1:${address.port}`;
  }

  async start(): Promise<this> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections(); // hung requests included
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.#server = undefined;
  }

  /** Queues outcomes for the next requests (then the default applies again). */
  script(...outcomes: (Outcome | CommonOutcome)[]): this {
    this.#script.push(...outcomes);
    return this;
  }

  /** Sets the outcome used when the script is empty. */
  always(outcome: Outcome | CommonOutcome): this {
    this.#default = outcome;
    return this;
  }

  /** Checks a request as the real API documents it; returns the mismatches. */
  protected abstract check(request: RecordedRequest): string[];
  /** The real API's answer to a request for an outcome (`violated`: the request broke the contract). */
  protected abstract answer(outcome: Outcome, request: RecordedRequest, violated: boolean): RawAnswer;

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const contentType = String(req.headers['content-type'] ?? '');
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body,
      form: contentType.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(body) : new URLSearchParams(),
    };
    this.requests.push(recorded);
    const problems = this.check(recorded);
    this.violations.push(...problems);
    const outcome = this.#script.shift() ?? this.#default;
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (outcome === 'hang') return; // never answers; stop() closes the socket
    if (outcome === 'non-json') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>502 Bad Gateway</body></html>');
      return;
    }
    if (outcome === 'truncated') {
      const full = '{"sid":"SM00000000000000000000000000000000","status":"queued","messages":[{"status":"0"}]}';
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(full.length) });
      res.write(full.slice(0, 20));
      setImmediate(() => res.destroy()); // the connection drops mid-body
      return;
    }
    const answer = typeof outcome === 'object' ? outcome.raw : this.answer(outcome as Outcome, recorded, problems.length > 0);
    res.writeHead(answer.status, answer.headers ?? {}).end(answer.body);
  }
}

/** POSTs (or GETs) a callback to `url` as a provider would; resolves with the receiver's status. */
export async function deliverCallback(
  url: string,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method, headers: init.headers ?? {} }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** Hex digits (for ids). */
export function hex(length: number): string {
  let out = '';
  while (out.length < length) out += Math.floor(Math.random() * 16).toString(16);
  return out;
}
