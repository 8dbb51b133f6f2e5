/**
 * Test helpers around the SMS provider fakes: a node:http receiver standing in for Handset's
 * callback routes (it runs the verifier under test on each request and answers 204 or 403, as a
 * route would), and a log recorder with the slice of pino the adapters use.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProviderLog } from '../../../src/sms/providers/provider.js';

/** A callback as the receiver saw it. */
export interface ReceivedCallback {
  method: string;
  /** Path and query as requested. */
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** Form fields of a POST, or the query of a GET. */
  params: URLSearchParams;
  /** What the verifier said. */
  accepted: boolean;
}

export class CallbackReceiver {
  readonly received: ReceivedCallback[] = [];
  #server: Server | undefined;
  readonly #verify: (callback: Omit<ReceivedCallback, 'accepted'>, url: string) => boolean;

  /** `verify` decides each callback (the verifier under test); the receiver answers 204 or 403. */
  constructor(verify: (callback: Omit<ReceivedCallback, 'accepted'>, url: string) => boolean) {
    this.#verify = verify;
  }

  /** The callback URL (`http://127.0.0.1:port/callbacks/sms`), as configured on the provider. */
  get url(): string {
    const address = this.#server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('receiver not started');
    return `http://127.0.0.1:${address.port}/callbacks/sms`;
  }

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const path = req.url ?? '';
        const params = req.method === 'GET' ? new URL(path, 'http://x').searchParams : new URLSearchParams(rawBody);
        const callback = { method: req.method ?? '', path, headers: req.headers, rawBody, params };
        let accepted = false;
        try {
          accepted = this.#verify(callback, this.url);
        } catch {
          accepted = false;
        }
        this.received.push({ ...callback, accepted });
        res.writeHead(accepted ? 204 : 403).end();
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Records what the adapters log, as JSON lines. */
export class LogRecorder implements ProviderLog {
  readonly lines: string[] = [];
  info(obj: object, msg: string): void {
    this.lines.push(JSON.stringify({ level: 'info', ...obj, msg }));
  }
  warn(obj: object, msg: string): void {
    this.lines.push(JSON.stringify({ level: 'warn', ...obj, msg }));
  }
  get text(): string {
    return this.lines.join('\n');
  }
}
