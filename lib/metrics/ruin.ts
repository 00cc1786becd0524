/**
 * The ONE ruin rule. An episode that ends early by ruin (equity at or below the ruin
 * fraction of the starting capital) or by a liquidation that ends the episode is scored over
 * the WHOLE evaluation window: after the end, the equity stays at its ruined level and the
 * strategy is flat (no position, no costs, per-bar return 0) until the last bar of the
 * window. Metrics (Sharpe, Sortino, CAGR, exposure), the comparison table, the targets and
 * the bootstrap all see that one padded curve, so a ruined run shows the same Sharpe
 * everywhere. `backtest()` applies it through {@link holdAfterRuin}, `evaluatePolicy` (the
 * validation Sharpe that picks the best model) too.
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";

/** The rule, in words (for manifests, reports and `evaluation.json`). */
export const RUIN_RULE: string =
  "after ruin (or a liquidation that ends the episode) the equity stays at its ruined level " +
  "and the strategy is flat until the end of the evaluation window";

/**
 * `values` padded to `length` points by repeating its last value (the ruined equity held
 * flat). Returns a copy; `length` below the current length is an error.
 */
export function holdAfterRuin(
  values: ArrayLike<number>,
  length: number,
): Float64Array<ArrayBuffer> {
  if (!Number.isInteger(length) || length < values.length) {
    throw new ConfigError(
      `holdAfterRuin: target length ${length} is shorter than the curve (${values.length})`,
      { parameter: "length" },
    );
  }
  const out = new Float64Array(length);
  for (let i = 0; i < values.length; i++) out[i] = values[i];
  const last = values.length > 0 ? values[values.length - 1] : 0;
  for (let i = values.length; i < length; i++) out[i] = last;
  return out;
}
