/**
 * @module bench/sockets/memory-probe
 * The bench's side of bench/support/memory-probe-preload.mjs: the environment that loads it into a
 * `handset serve` process, and {@link MemoryProbe.read}, which signals the process (SIGUSR2: full
 * GC, then `process.memoryUsage()`) and waits for the line it appends.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `process.memoryUsage()` of the server after a full garbage collection. */
export interface MemoryReading {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  snapshot: string | null;
}

const PRELOAD = fileURLToPath(new URL('../support/memory-probe-preload.mjs', import.meta.url));

export class MemoryProbe {
  readonly file: string;
  readonly #snapshotDir: string | undefined;
  #pid = 0;
  #seen = 0;

  /** `dir` holds the probe's output file; `snapshotDir`, when given, receives a heap snapshot per reading. */
  constructor(dir: string, snapshotDir?: string) {
    this.file = join(dir, 'memory.jsonl');
    this.#snapshotDir = snapshotDir;
  }

  /** The environment of the server process to probe. */
  env(): Record<string, string> {
    const env: Record<string, string> = { NODE_OPTIONS: `--import=${PRELOAD}`, HANDSET_BENCH_MEMORY_FILE: this.file };
    if (this.#snapshotDir) env.HANDSET_BENCH_HEAP_SNAPSHOT_DIR = this.#snapshotDir;
    return env;
  }

  attach(pid: number): void {
    this.#pid = pid;
  }

  /** Signals the server and resolves with its reading (within `timeoutMs`; a snapshot takes seconds). */
  async read(timeoutMs = 120_000): Promise<MemoryReading> {
    const want = this.#seen + 1;
    process.kill(this.#pid, 'SIGUSR2');
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const lines = existsSync(this.file) ? readFileSync(this.file, 'utf8').trim().split('\n').filter(Boolean) : [];
      if (lines.length >= want) {
        this.#seen = want;
        return JSON.parse(lines[want - 1]!) as MemoryReading;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the server did not answer the memory probe (is bench/support/memory-probe-preload.mjs loaded?)');
  }
}
