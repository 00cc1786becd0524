/**
 * A client-side sliding-window rate limiter: at most `limit` requests in any `windowMs`
 * (Alpaca publishes 200 requests per minute per account). Waits with an injectable sleep and
 * clock, so tests run instantly and deterministically.
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";

/** Clock and sleep, injectable for tests. */
export interface TimeSource {
  /** Current time, UTC ms. */
  now(): number;
  /** Wait `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

/** The real clock. */
export const REAL_TIME: TimeSource = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/** Alpaca's published REST limit: 200 requests per minute. */
export const ALPACA_RATE_LIMIT = { limit: 200, windowMs: 60_000 } as const;

/** Sliding-window limiter. */
export class RateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  readonly #time: TimeSource;
  readonly #stamps: number[] = [];
  /** Total ms spent waiting (for tests and status). */
  waitedMs = 0;

  constructor(options: { limit: number; windowMs: number; time?: TimeSource }) {
    if (!(Number.isInteger(options.limit) && options.limit > 0)) {
      throw new ConfigError(`rate limit must be a positive integer, got ${options.limit}`, {
        parameter: "limit",
      });
    }
    if (!(options.windowMs > 0)) {
      throw new ConfigError(`windowMs must be > 0, got ${options.windowMs}`, {
        parameter: "windowMs",
      });
    }
    this.limit = options.limit;
    this.windowMs = options.windowMs;
    this.#time = options.time ?? REAL_TIME;
  }

  /** Wait until one more request fits in the window, then count it. */
  async acquire(): Promise<void> {
    for (;;) {
      const now = this.#time.now();
      while (this.#stamps.length && this.#stamps[0] <= now - this.windowMs) this.#stamps.shift();
      if (this.#stamps.length < this.limit) {
        this.#stamps.push(now);
        return;
      }
      const wait = this.#stamps[0] + this.windowMs - now;
      this.waitedMs += wait;
      await this.#time.sleep(wait);
    }
  }

  /** Requests counted in the current window. */
  inWindow(): number {
    const now = this.#time.now();
    return this.#stamps.filter((t) => t > now - this.windowMs).length;
  }
}
