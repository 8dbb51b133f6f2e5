/**
 * @module bench/flows/closed-loop
 * One measurement: `inFlight` flows of one kind at a time against a deployment for `seconds` (each
 * worker starts its next flow as soon as its last one ends), with the latency of every call and of
 * whole flows, failures, and the CPU time the Handset processes (and, on PostgreSQL, their database
 * backends, found in pg_stat_activity by the servers' application_name) used meanwhile, read from
 * /proc.
 */
import { existsSync } from 'node:fs';
import { cpuSeconds } from '../../scripts/soak/process-stats.js';
import { runNamedFlow, type FlowName } from '../../scripts/soak/flows.js';
import { quantile } from '../support/stats.js';
import { usesPostgres, type Deployment } from './deployment.js';

/** p50 and p99 in milliseconds, and how many samples they come from. */
export interface Latency {
  count: number;
  p50: number;
  p99: number;
}

/** The failures of one call (or of the checks between calls), and when in the window they came. */
export interface CallFailures {
  count: number;
  /** Seconds from the start of the window to the first and the last failure. */
  firstAt: number;
  lastAt: number;
}

export interface LoopResult {
  flows: number;
  failures: number;
  /** `call at T s: message` of the first failed flow, T its time in the window. */
  firstFailure: string | null;
  /** Failures by the timed call that threw (`between calls`: a check or an untimed step). */
  failuresByCall: Record<string, CallFailures>;
  flowsPerSecond: number;
  /** CPU ms of the Handset processes per completed flow. */
  serverCpuMsPerFlow: number;
  /** CPU ms of their PostgreSQL backends per completed flow (null on SQLite). */
  postgresCpuMsPerFlow: number | null;
  /** How many PostgreSQL backends of the servers were seen during the window (null on SQLite). */
  postgresBackends: number | null;
  /** CPU ms of the load generator (this process) per completed flow. */
  loadGeneratorCpuMsPerFlow: number;
  /** Prove Keys the load generator had to make inside the window (its pool ran dry): their CPU is in the figure above. */
  keysMadeInWindow: number;
  /**
   * Share of one core the Handset processes used (server CPU time / wall time). Well below 1 the
   * servers were waiting: the load generator or PostgreSQL set the pace, not the server.
   */
  serverCoreBusy: number;
  flow: Latency;
  /** Per call of the flow, in the order the calls were first made. */
  calls: Record<string, Latency>;
}

function latency(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  return { count: sorted.length, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
}

/** CPU seconds per PID, skipping processes that have ended. */
function cpuByPid(pids: number[]): Map<number, number> {
  const cpu = new Map<number, number>();
  for (const pid of pids) {
    if (!existsSync(`/proc/${pid}/stat`)) continue;
    try {
      cpu.set(pid, cpuSeconds(pid));
    } catch {
      // ended between the check and the read
    }
  }
  return cpu;
}

/** CPU used between two readings; a PID first seen in `after` started during the window. */
function used(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, cpu] of after) total += cpu - (before.get(pid) ?? 0);
  return total;
}

/**
 * The CPU time of a changing set of processes (PostgreSQL backends come and go with the pool)
 * over a window, read every `everyMs`: each PID counts from its first reading (from zero when it
 * appeared after the start) to its last one. Lost: only the CPU a backend used after its last
 * reading before it ended.
 */
class CpuSampler {
  readonly #first = new Map<number, number>();
  readonly #last = new Map<number, number>();
  readonly #list: () => Promise<number[]>;
  #started = false;
  #timer: NodeJS.Timeout | null = null;
  #pending: Promise<void> = Promise.resolve();
  constructor(list: () => Promise<number[]>) {
    this.#list = list;
  }
  async #sample(): Promise<void> {
    for (const [pid, cpu] of cpuByPid(await this.#list())) {
      if (!this.#first.has(pid)) this.#first.set(pid, this.#started ? 0 : cpu);
      this.#last.set(pid, cpu);
    }
  }
  async start(everyMs: number): Promise<void> {
    await this.#sample();
    this.#started = true;
    this.#timer = setInterval(() => {
      this.#pending = this.#pending.then(() => this.#sample()).catch(() => {});
    }, everyMs);
  }
  /** Stops sampling; the CPU seconds used in the window and how many processes were seen. */
  async stop(): Promise<{ seconds: number; processes: number }> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#pending;
    await this.#sample();
    let seconds = 0;
    for (const [pid, last] of this.#last) seconds += last - this.#first.get(pid)!;
    return { seconds, processes: this.#last.size };
  }
}

/** The flows that register a Prove Key (one fresh key each). */
const REGISTERING: ReadonlySet<FlowName> = new Set(['mobile-otp', 'customer-bind']);

/**
 * Runs flows of kind `flow` for `seconds` with `inFlight` at a time. `sequence` numbers the flows
 * (their phone numbers): give each measurement on one deployment its own range. Before the clock
 * starts, the key pool is filled for `expectedRate` flows per second (with a margin).
 */
export async function closedLoop(
  d: Deployment,
  flow: FlowName,
  inFlight: number,
  seconds: number,
  sequence: { next: number },
  expectedRate = 2000,
): Promise<LoopResult> {
  const keys = d.target.keys;
  if (keys && REGISTERING.has(flow)) keys.fill(Math.ceil(expectedRate * seconds * 1.5) + inFlight);
  const keysMadeBefore = keys?.madeOnDemand ?? 0;
  const calls = new Map<string, number[]>();
  const flowTimes: number[] = [];
  let failures = 0;
  let firstFailure: string | null = null;
  const failuresByCall: Record<string, CallFailures> = {};
  // Which timed call threw each error, so a failed flow names the call that failed.
  const failedCall = new WeakMap<object, string>();
  const target = {
    ...d.target,
    async timed<T>(call: string, run: () => Promise<T>): Promise<T> {
      const t = performance.now();
      const result = await run().catch((error: unknown) => {
        if (typeof error === 'object' && error !== null) failedCall.set(error, call);
        throw error;
      });
      const samples = calls.get(call) ?? [];
      samples.push(performance.now() - t);
      calls.set(call, samples);
      return result;
    },
  };
  const serverBefore = cpuByPid(d.serverPids());
  const postgres = !usesPostgres(d.mode) ? null : new CpuSampler(() => d.postgresPids());
  await postgres?.start(500);
  const generatorBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        try {
          await runNamedFlow(flow, target, sequence.next++);
          flowTimes.push(performance.now() - t);
        } catch (error) {
          failures += 1;
          const call = (typeof error === 'object' && error !== null && failedCall.get(error)) || 'between calls';
          const at = (performance.now() - started) / 1000;
          const byCall = (failuresByCall[call] ??= { count: 0, firstAt: at, lastAt: at });
          byCall.count += 1;
          byCall.lastAt = at;
          firstFailure ??= `${call} at ${at.toFixed(2)} s: ${(error as Error).message}`;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const generator = process.cpuUsage(generatorBefore);
  const serverCpu = used(serverBefore, cpuByPid(d.serverPids()));
  const postgresCpu = postgres ? await postgres.stop() : null;
  const flows = flowTimes.length;
  return {
    flows,
    failures,
    firstFailure,
    failuresByCall,
    flowsPerSecond: flows / elapsed,
    serverCpuMsPerFlow: (serverCpu * 1000) / flows,
    postgresCpuMsPerFlow: postgresCpu === null ? null : (postgresCpu.seconds * 1000) / flows,
    postgresBackends: postgresCpu?.processes ?? null,
    loadGeneratorCpuMsPerFlow: (generator.user + generator.system) / 1000 / flows,
    keysMadeInWindow: (keys?.madeOnDemand ?? 0) - keysMadeBefore,
    serverCoreBusy: serverCpu / elapsed,
    flow: latency(flowTimes),
    calls: Object.fromEntries([...calls].map(([name, samples]) => [name, latency(samples)])),
  };
}
