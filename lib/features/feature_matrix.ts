/**
 * The feature matrix type shared by features, signals and the env.
 *
 * @module
 */

/**
 * Per-bar features, row-major: value of feature `j` at bar `i` is `data[i * cols + j]`.
 * Row `i` uses only bars `≤ i` (causal). Warm-up rows (before `firstValidRow`) hold NaN and
 * are marked invalid; they are never zero-filled into training.
 */
export interface FeatureMatrix {
  /** Column names, e.g. `["return_20", "atr_14", "natr", …]`. */
  names: string[];
  rows: number;
  cols: number;
  /** `rows × cols` values, row-major. */
  data: Float64Array;
  /** Bar open time, UTC epoch ms (same as the market data). */
  time: Float64Array;
  /** First row at which every feature is valid (after warm-up). */
  firstValidRow: number;
  /** 1 where every feature of the row is finite and past warm-up. */
  valid: Uint8Array;
  /**
   * Availability of optional inputs: `openInterest` / `funding` false means the OI (or
   * funding) features hold their documented neutral value (0) instead of data.
   */
  available: { openInterest: boolean; funding: boolean };
  /** Feature families left out by the user (`--features -oi`); absent when none. */
  excluded?: string[];
}

/** Column index of `name`, or throw a clear error listing the names that exist. */
export function featureIndex(fm: FeatureMatrix, name: string): number {
  const j = fm.names.indexOf(name);
  if (j < 0) {
    throw new RangeError(
      `feature "${name}" not in the feature matrix (has: ${fm.names.join(", ")})`,
    );
  }
  return j;
}

/** Copy one column out as a Float64Array of length `rows`. */
export function featureColumn(fm: FeatureMatrix, name: string): Float64Array {
  const j = featureIndex(fm, name);
  const out = new Float64Array(fm.rows);
  for (let i = 0; i < fm.rows; i++) out[i] = fm.data[i * fm.cols + j];
  return out;
}
