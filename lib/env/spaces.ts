/**
 * Gymnasium-style spaces.
 *
 * @module
 */
import type { Rng } from "../util/mod.ts";

/** A finite set of actions `{0, …, n−1}`. */
export class Discrete {
  readonly kind = "discrete" as const;
  /** Number of actions. */
  readonly n: number;
  constructor(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`Discrete(n) needs n ≥ 1, got ${n}`);
    this.n = n;
  }
  /** Whether `x` is an integer action in range. */
  contains(x: number): boolean {
    return Number.isInteger(x) && x >= 0 && x < this.n;
  }
  /** A uniform random action. */
  sample(rng: Rng): number {
    return rng.int(this.n);
  }
}

/** A box in R^d with per-dimension bounds (float64). */
export class Box {
  readonly kind = "box" as const;
  readonly low: Float64Array;
  readonly high: Float64Array;
  /** Dimension d (flat). */
  readonly size: number;
  constructor(low: ArrayLike<number> | number, high: ArrayLike<number> | number, size?: number) {
    const d = size ??
      (typeof low === "number" ? (typeof high === "number" ? 1 : high.length) : low.length);
    this.low = typeof low === "number" ? new Float64Array(d).fill(low) : Float64Array.from(low);
    this.high = typeof high === "number" ? new Float64Array(d).fill(high) : Float64Array.from(high);
    if (this.low.length !== d || this.high.length !== d) {
      throw new RangeError("Box bounds length mismatch");
    }
    for (let i = 0; i < d; i++) {
      if (!(this.low[i] <= this.high[i])) throw new RangeError(`Box low > high at ${i}`);
    }
    this.size = d;
  }
  /** Whether every element of `x` (from `offset`) is finite and within bounds. */
  contains(x: ArrayLike<number>, offset = 0): boolean {
    for (let i = 0; i < this.size; i++) {
      const v = x[offset + i];
      if (!Number.isFinite(v) || v < this.low[i] || v > this.high[i]) return false;
    }
    return true;
  }
  /** A uniform sample (bounded dims) or a standard normal (unbounded dims). */
  sample(rng: Rng, out: Float64Array = new Float64Array(this.size)): Float64Array {
    for (let i = 0; i < this.size; i++) {
      const lo = this.low[i];
      const hi = this.high[i];
      out[i] = Number.isFinite(lo) && Number.isFinite(hi) ? rng.uniform(lo, hi) : rng.normal();
    }
    return out;
  }
}

/** Any action or observation space. */
export type Space = Discrete | Box;
