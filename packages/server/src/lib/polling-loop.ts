/**
 * @module polling-loop
 * The work loop of a queue worker (the SMS courier, the webhook sender): a round claims and handles
 * up to a batch; a nudge asks for a round now (one already running does one more when it ends);
 * a full batch is followed at once by another round; otherwise the next round waits for the poll
 * timer. A round that throws (a database hiccup) is reported and retried at the next poll: leases
 * keep claimed rows safe meanwhile. `stop()` ends polling and waits for the round in flight.
 */
export interface PollingLoopOptions {
  /** Claims and handles one batch; resolves with how many rows it claimed. */
  round: () => Promise<number>;
  batchSize: number;
  pollMs: number;
  /** Schedules the next poll; returns its cancel function (a Clock's setTimer, or a real timer). */
  setTimer: (ms: number, fn: () => void) => () => void;
  /** Told of a round that threw. */
  onError: (error: unknown) => void;
  /** True: nudges are ignored until `start()` (default false: a nudge runs a round at once). */
  startStopped?: boolean;
}

export class PollingLoop {
  readonly #options: PollingLoopOptions;
  #running: Promise<void> | null = null;
  #again = false;
  #stopped: boolean;
  #cancelPoll: (() => void) | null = null;

  constructor(options: PollingLoopOptions) {
    this.#options = options;
    this.#stopped = options.startStopped ?? false;
  }

  /** Starts polling, with a first round (rows left by a previous process). */
  start(): void {
    this.#stopped = false;
    this.nudge();
  }

  /** Asks for a round soon; a round already running does one more. */
  nudge(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#loop().finally(() => {
      this.#running = null;
      this.#schedulePoll();
    });
  }

  /** Stops polling and waits for the round in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelPoll?.();
    this.#cancelPoll = null;
    await this.#running;
  }

  #schedulePoll(): void {
    if (this.#stopped) return;
    this.#cancelPoll?.();
    this.#cancelPoll = this.#options.setTimer(this.#options.pollMs, () => {
      this.#cancelPoll = null;
      this.nudge();
    });
  }

  async #loop(): Promise<void> {
    for (;;) {
      this.#again = false;
      let claimed = 0;
      try {
        claimed = await this.#options.round();
      } catch (error) {
        this.#options.onError(error);
        return;
      }
      if (this.#stopped || (claimed < this.#options.batchSize && !this.#again)) return;
    }
  }
}
