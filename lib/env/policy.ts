/**
 * The Policy interface used the same way by training, evaluation, backtest and live trading.
 *
 * @module
 */

/** Options for {@link Policy.act}. */
export interface ActOptions {
  /** Take the mode (argmax / mean) instead of sampling. */
  deterministic?: boolean;
  /** Discrete only: `batch × n` validity masks (1 = allowed). */
  masks?: Uint8Array;
}

/** Output of {@link Policy.act} for a batch of `batch` observations. */
export interface ActResult {
  /** `batch` action indices (Discrete) or `batch × actDim` values (Box). */
  actions: Float64Array;
  /** Log-probability of each chosen action under the policy. */
  logProb: Float64Array;
  /** State-value estimates (NaN for critic-free policies such as rules or GRPO). */
  value: Float64Array;
}

/** Anything that maps observations to actions. */
export interface Policy {
  /** A short name for reports, e.g. `"ppo"`, `"baseline"`. */
  readonly name: string;
  /**
   * Act on `batch` observations given row-major in `observations` (`batch × obsDim`).
   */
  act(observations: Float64Array, options?: ActOptions): ActResult;
  /** Clear any per-episode state (e.g. logit smoothing). */
  reset?(): void;
}
