/**
 * Injectable clocks: the scheduler and the paper loop read time only through a {@link Clock},
 * so tests replace the wall clock with a {@link SimulatedClock} and run a week in milliseconds.
 *
 * @module
 */

/** A source of time and a way to wait for it. Times are UTC epoch milliseconds. */
export interface Clock {
  /** Current time, UTC epoch ms. */
  now(): number;
  /**
   * Resolve at (or after) `timeMs`, or earlier when `signal` aborts. Returns immediately when
   * `timeMs` is not in the future.
   */
  sleepUntil(timeMs: number, signal?: AbortSignal): Promise<void>;
}

/** The wall clock (`Date.now()` and `setTimeout`). */
export class SystemClock implements Clock {
  /** Current wall-clock time, UTC epoch ms. */
  now(): number {
    return Date.now();
  }

  /** Sleep with `setTimeout`, in slices of at most 60 s so a changed system time is noticed. */
  async sleepUntil(timeMs: number, signal?: AbortSignal): Promise<void> {
    while (!signal?.aborted) {
      const wait = timeMs - Date.now();
      if (wait <= 0) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.min(wait, 60_000));
        function done() {
          signal?.removeEventListener("abort", done);
          clearTimeout(t);
          resolve();
        }
        signal?.addEventListener("abort", done, { once: true });
      });
    }
  }
}

/**
 * A clock that jumps: `sleepUntil(t)` sets the time to `t` at once. Code under test can also
 * {@link SimulatedClock.advance} it (e.g. to model a slow job).
 */
export class SimulatedClock implements Clock {
  #now: number;

  /** Start at `startMs` (UTC epoch ms). */
  constructor(startMs: number) {
    this.#now = startMs;
  }

  /** Current simulated time, UTC epoch ms. */
  now(): number {
    return this.#now;
  }

  /** Jump to `timeMs` (never backwards). */
  sleepUntil(timeMs: number, signal?: AbortSignal): Promise<void> {
    if (!signal?.aborted && timeMs > this.#now) this.#now = timeMs;
    return Promise.resolve();
  }

  /** Move time forward by `ms` milliseconds. */
  advance(ms: number): void {
    if (ms > 0) this.#now += ms;
  }
}
