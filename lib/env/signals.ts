/**
 * The out-of-sample ML signals type (the specification's `ml_predictions`).
 *
 * @module
 */

/** Per-bar predictions of the supervised model; only out-of-sample bars are available. */
export interface Signals {
  /** Bar open time, UTC epoch ms (same as the market data). */
  time: Float64Array;
  /** 0 = down, 1 = flat, 2 = up; −1 where no out-of-sample prediction exists. */
  signal: Int8Array;
  /** Max class probability in [0, 1]; NaN where unavailable. */
  confidence: Float64Array;
  /** Expected forward return over `horizon` bars (fraction); NaN where unavailable. */
  target: Float64Array;
  /** 1 where an out-of-sample prediction exists. */
  available: Uint8Array;
  /** Label horizon in bars. */
  horizon: number;
}
