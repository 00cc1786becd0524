/**
 * Rule policies for the options env's `Box(−1, 1)` action (lib/env/options_env.ts): the
 * baselines a learned options policy is compared with — always flat (0), always a call (+1),
 * always a put (−1), uniform random actions, and the one-hour momentum / reversal rule.
 *
 * The rule reads `return_12_pct` (the log return of the last 12 bars, percent) from the
 * observation and answers with a full-size action (±1), so the env's own entry threshold
 * (default 0.3: < −0.3 put, > 0.3 call) turns it into a side exactly as it does a learned
 * policy's output — the same thresholds for both. Momentum buys a call after a rise and a put
 * after a fall; reversal the opposite (the planted edge of the synthetic options market).
 *
 * @module
 */
import {
  type ActOptions,
  type ActResult,
  OPTIONS_OBSERVATION_NAMES,
  type Policy,
} from "../env/mod.ts";
import { ConfigError, Rng } from "../util/mod.ts";

const OBS_DIM = OPTIONS_OBSERVATION_NAMES.length;
const R12 = OPTIONS_OBSERVATION_NAMES.indexOf("return_12_pct");

function out(batch: number): ActResult {
  return {
    actions: new Float64Array(batch),
    logProb: new Float64Array(batch),
    value: new Float64Array(batch),
  };
}

function rows(observations: Float64Array, who: string): number {
  const b = observations.length / OBS_DIM;
  if (!Number.isInteger(b) || b < 1) {
    throw new ConfigError(
      `${who}: ${observations.length} observation values are not rows of ${OBS_DIM}`,
      { parameter: "observations" },
      "these rules read the options env's observation layout",
    );
  }
  return b;
}

/** The same action every step: 0 always flat, +1 always a call, −1 always a put. */
export class ConstantOptionsPolicy implements Policy {
  /** Report name. */
  readonly name: string;
  /**
   * @param action the action in [−1, 1]
   * @param options report name (default `flat`, `always_call`, `always_put` or `const_<a>`)
   */
  constructor(readonly action: number, options: { name?: string } = {}) {
    if (!(action >= -1 && action <= 1)) {
      throw new ConfigError(`action must be in [−1, 1], got ${action}`, { parameter: "action" });
    }
    this.name = options.name ??
      (action === 0
        ? "flat"
        : action === 1
        ? "always_call"
        : action === -1
        ? "always_put"
        : `const_${action}`);
  }
  /** The constant action for every row. */
  act(observations: Float64Array, _options?: ActOptions): ActResult {
    const r = out(rows(observations, "ConstantOptionsPolicy"));
    r.actions.fill(this.action);
    return r;
  }
}

/** Uniform random actions in [−1, 1] from a seeded PRNG; `reset()` restarts the stream. */
export class RandomOptionsPolicy implements Policy {
  /** Report name. */
  readonly name: string;
  readonly #seed: number;
  #rng: Rng;
  constructor(options: { seed?: number; name?: string } = {}) {
    this.#seed = options.seed ?? 0;
    this.name = options.name ?? `random_s${this.#seed}`;
    this.#rng = new Rng(this.#seed);
  }
  /** Restart the random stream. */
  reset(): void {
    this.#rng = new Rng(this.#seed);
  }
  /** A uniform action per row. */
  act(observations: Float64Array, _options?: ActOptions): ActResult {
    const r = out(rows(observations, "RandomOptionsPolicy"));
    for (let i = 0; i < r.actions.length; i++) r.actions[i] = 2 * this.#rng.next() - 1;
    return r;
  }
}

/**
 * The one-hour rule: `momentum` answers +1 (call) after a rise over the last 12 bars and −1
 * (put) after a fall; `reversal` the opposite; 0 (flat) when the move is within
 * `minMovePct` (default 0: any move).
 */
export class MomentumOptionsPolicy implements Policy {
  /** Report name. */
  readonly name: string;
  readonly #sign: number;
  readonly #min: number;
  constructor(
    readonly mode: "momentum" | "reversal",
    options: { minMovePct?: number; name?: string } = {},
  ) {
    if (mode !== "momentum" && mode !== "reversal") {
      throw new ConfigError(`mode must be momentum or reversal, got ${mode}`, {
        parameter: "mode",
      });
    }
    this.#sign = mode === "momentum" ? 1 : -1;
    this.#min = options.minMovePct ?? 0;
    if (!(this.#min >= 0)) {
      throw new ConfigError(`minMovePct must be ≥ 0, got ${options.minMovePct}`, {
        parameter: "minMovePct",
      });
    }
    this.name = options.name ?? mode;
  }
  /** ±1 by the sign of the last hour's return (see the class docs). */
  act(observations: Float64Array, _options?: ActOptions): ActResult {
    const b = rows(observations, "MomentumOptionsPolicy");
    const r = out(b);
    for (let i = 0; i < b; i++) {
      const m = observations[i * OBS_DIM + R12];
      r.actions[i] = m > this.#min ? this.#sign : m < -this.#min ? -this.#sign : 0;
    }
    return r;
  }
}
