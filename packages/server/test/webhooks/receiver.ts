/**
 * @module receiver
 * A local webhook receiver for tests: records every request (raw body and headers), answers the
 * statuses it is told to (per call, then 200), and deduplicates by `webhook-id` like a real
 * receiver should.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  path: string;
  status: number;
}

export class WebhookReceiver {
  readonly received: Received[] = [];
  /** Accepted (2xx) deliveries, deduplicated by webhook-id: what an integrator would process. */
  readonly processed = new Map<string, Received>();
  /** Statuses to answer next, in order (then 200). */
  readonly script: number[] = [];
  #server: Server | null = null;
  url = '';

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = this.script.shift() ?? 200;
        const entry = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), path: req.url ?? '/', status };
        this.received.push(entry);
        const id = String(req.headers['webhook-id']);
        if (status < 300 && !this.processed.has(id)) this.processed.set(id, entry);
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Waits (generously) until `predicate` holds over what was received. */
  async until(predicate: (received: Received[]) => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.received)) {
      if (Date.now() > deadline) throw new Error(`webhook receiver: timed out waiting for ${what}; got ${JSON.stringify(this.received.map((r) => r.body))}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Received events of `type` at `path`. */
  events(type: string, path?: string): Array<Received & { event: { type: string; data: Record<string, unknown> } }> {
    return this.received
      .map((r) => ({ ...r, event: JSON.parse(r.body) as { type: string; data: Record<string, unknown> } }))
      .filter((r) => r.event.type === type && (path === undefined || r.path === path));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}
