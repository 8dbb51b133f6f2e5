/**
 * @module clock
 * The Clock port. Every expiry decision reads time from an injected Clock, and every wait for a
 * deadline is a timer on that clock, so tests move time forward instead of sleeping.
 */

/**
 * A source of the current time in epoch milliseconds, and timers measured on it.
 *
 * @example
 * const cancel = clock.setTimer(expiresAt - clock.now(), () => void recheck());
 * // …when the wait is no longer needed:
 * cancel();
 */
export interface Clock {
  now(): number;
  /**
   * Calls `fn` once, `ms` milliseconds from now on this clock. Returns a function that cancels
   * the timer (harmless after it ran).
   */
  setTimer(ms: number, fn: () => void): () => void;
}

/**
 * The real wall clock. Its timers are unref'd: a deadline alone never keeps the process alive
 * (whoever waits for one holds a socket or server that does, and cancels the timer on close).
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const timer = setTimeout(fn, Math.max(0, ms));
    timer.unref();
    return () => clearTimeout(timer);
  },
};

interface ManualTimer {
  due: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that only moves when told to: the in-memory reference for tests. Its timers run inside
 * {@link ManualClock.advance}, never on their own.
 *
 * @example
 * const clock = new ManualClock(Date.parse('2030-01-01T00:00:00Z'));
 * clock.setTimer(5000, () => console.log('five seconds later'));
 * clock.advance(5000); // logs, with clock.now() at the timer's due time
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: ManualTimer[] = [];

  constructor(start: number = Date.now()) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer: ManualTimer = { due: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  /** How many timers are waiting (tests use it to know a deadline is armed, or that none leaked). */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /**
   * Moves time forward by `ms` milliseconds, running every timer that comes due on the way in
   * order of due time (then of scheduling), each with `now()` at its due time. A timer scheduled
   * by a callback runs too if it falls due within the window. If a callback throws, the error
   * propagates and time stays at that timer's due time.
   */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (let timer = this.#nextDue(target); timer; timer = this.#nextDue(target)) {
      this.#timers = this.#timers.filter((t) => t !== timer);
      this.#now = Math.max(this.#now, timer.due);
      timer.fn();
    }
    this.#now = target;
  }

  #nextDue(limit: number): ManualTimer | undefined {
    let next: ManualTimer | undefined;
    for (const t of this.#timers) {
      if (t.due <= limit && (!next || t.due < next.due || (t.due === next.due && t.seq < next.seq))) next = t;
    }
    return next;
  }
}
