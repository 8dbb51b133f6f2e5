/**
 * @module soak/lag-probe
 * Event-loop lag of the server as seen from outside: the latency of `GET /healthz` (a handler
 * that does nothing), measured four times a second from a worker thread. The load generator's
 * own busy event loop therefore does not inflate it; what remains is the time the request waits
 * for the server's event loop plus one loopback round trip (about 1 ms when idle).
 */
import { Worker } from 'node:worker_threads';

const PROBE = `
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
let stopped = false;
parentPort.on('message', () => { stopped = true; });
(async () => {
  while (!stopped) {
    const started = performance.now();
    try {
      const response = await fetch(workerData.url + '/healthz', { signal: AbortSignal.timeout(10000) });
      await response.arrayBuffer();
      parentPort.postMessage(response.ok ? performance.now() - started : -1);
    } catch {
      parentPort.postMessage(-1);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  parentPort.close();
})();
`;

export interface LagProbe {
  /** The latencies (ms) measured since the last call; failed probes are counted apart. */
  drain(): { latencies: number[]; failures: number };
  stop(): Promise<void>;
}

export function startLagProbe(url: string): LagProbe {
  const worker = new Worker(PROBE, { eval: true, workerData: { url } });
  let latencies: number[] = [];
  let failures = 0;
  worker.on('message', (ms: number) => {
    if (ms < 0) failures++;
    else latencies.push(ms);
  });
  return {
    drain() {
      const drained = { latencies, failures };
      latencies = [];
      failures = 0;
      return drained;
    },
    async stop() {
      worker.postMessage('stop');
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      const timer = setTimeout(() => void worker.terminate(), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
