/**
 * Feature normalisation fitted on a training range only, stored as JSON and re-applied to
 * validation, test and live rows.
 *
 * `zscore`: `(x − mean) / std`; `robust`: `(x − median) / (IQR / 1.349)` (the IQR of a normal
 * distribution is 1.349 σ, so both give unit scale on Gaussian data).
 *
 * Variance floor (issue 19): a column that was CONSTANT in the fit range — zero spread, or
 * fewer than `constantShare` (default 1 %) of its fit rows differing from its most common
 * value (e.g. OI features that are neutral 0 through a training split without OI) — is
 * centred on that common value and keeps its own unit (scale 1), and its name is listed in
 * `constant`. A later real value `v` then maps to `v − c` instead of `(v − c) / (tiny σ)`, so
 * it cannot saturate the clip unless it moves by 10 of its own units (impossible for the
 * fraction-valued features). Outputs are clipped to
 * `±clip` (default 10, as Stable-Baselines3's VecNormalize) so one outlier cannot blow up a
 * network input. Only rows with `valid = 1` inside the fit range are used; invalid rows stay
 * NaN after normalisation.
 *
 * @module
 */

import { ConfigError, DataError, ModelError } from "../util/mod.ts";
import type { FeatureMatrix } from "./feature_matrix.ts";

/** Serialisable normaliser statistics (plain JSON). */
export interface NormalizerStats {
  /** Format version, for loading. */
  version: 1;
  method: "zscore" | "robust";
  /** Column names the statistics belong to, in order. */
  names: string[];
  /** Per-column centre (mean or median), in the feature's own unit. */
  center: number[];
  /** Per-column scale (std or IQR/1.349), in the feature's own unit; never 0. */
  scale: number[];
  /** Absolute clip applied after scaling (in standard units); `null` = no clipping. */
  clip: number | null;
  /** Row range `[start, end)` the statistics were fitted on. */
  fitRange: [number, number];
  /** Number of valid rows used. */
  count: number;
  /**
   * Columns that were constant in the fit range (see the module documentation): centred,
   * scale 1. Absent in files written before this field existed.
   */
  constant?: string[];
}

/** Options of {@link fitNormalizer}. */
export interface FitNormalizerOptions {
  /** First row of the fit range (default 0). */
  start?: number;
  /** End (exclusive) of the fit range (default `fm.rows`): pass the END OF THE TRAINING SPLIT. */
  end?: number;
  /** `"zscore"` (default) or `"robust"`. */
  method?: "zscore" | "robust";
  /** Clip in standard units (default 10); `null` disables. */
  clip?: number | null;
  /** Optional row mask (1 = use) on top of `valid`, e.g. to drop purged rows. */
  mask?: Uint8Array;
  /**
   * A column counts as constant when fewer than this share (0–1) of its fit rows differ from
   * its most common value. Default 0.01.
   */
  constantShare?: number;
}

function quantileSorted(a: Float64Array, q: number): number {
  const pos = (a.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return a[lo] + (a[hi] - a[lo]) * (pos - lo);
}

/**
 * Fit normaliser statistics on the valid rows of `[start, end)` of `fm`.
 *
 * @throws DataError if the range holds no valid row; ConfigError on a bad range or method.
 */
export function fitNormalizer(
  fm: FeatureMatrix,
  options: FitNormalizerOptions = {},
): NormalizerStats {
  const start = options.start ?? 0;
  const end = options.end ?? fm.rows;
  const method = options.method ?? "zscore";
  const clip = options.clip === undefined ? 10 : options.clip;
  if (
    !(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start < end &&
      end <= fm.rows)
  ) {
    throw new ConfigError(`fit range [${start}, ${end}) is not inside [0, ${fm.rows})`, {
      parameter: "start/end",
    });
  }
  if (method !== "zscore" && method !== "robust") {
    throw new ConfigError(
      `unknown normaliser method "${method}"`,
      { parameter: "method" },
      'use "zscore" or "robust"',
    );
  }
  if (clip !== null && !(clip > 0)) {
    throw new ConfigError(`clip must be > 0 or null, got ${clip}`, { parameter: "clip" });
  }
  const rows: number[] = [];
  for (let i = start; i < end; i++) {
    if (fm.valid[i] === 1 && (!options.mask || options.mask[i] === 1)) rows.push(i);
  }
  if (rows.length === 0) {
    throw new DataError(
      `no valid feature row in the fit range [${start}, ${end})`,
      { parameter: "start/end" },
      `the first valid row is ${fm.firstValidRow}; fit on a range after the warm-up`,
    );
  }
  const constantShare = options.constantShare ?? 0.01;
  if (!(constantShare >= 0 && constantShare < 1)) {
    throw new ConfigError(`constantShare must be in [0, 1), got ${constantShare}`, {
      parameter: "constantShare",
    });
  }
  const constant: string[] = [];
  const { cols, data } = fm;
  const center = new Array<number>(cols);
  const scale = new Array<number>(cols);
  const x = new Float64Array(rows.length);
  for (let j = 0; j < cols; j++) {
    for (let k = 0; k < rows.length; k++) x[k] = data[rows[k] * cols + j];
    let c: number;
    let s: number;
    if (method === "zscore") {
      let m = 0;
      for (let k = 0; k < x.length; k++) m += x[k];
      m /= x.length;
      let v = 0;
      for (let k = 0; k < x.length; k++) v += (x[k] - m) * (x[k] - m);
      c = m;
      s = Math.sqrt(v / x.length);
    } else {
      const sorted = x.slice().sort();
      c = quantileSorted(sorted, 0.5);
      s = (quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25)) / 1.349;
    }
    // Zero (or float-noise) spread, or (almost) always one value → centre on it, scale 1.
    if (!(s > 1e-12 * Math.max(1, Math.abs(c)))) {
      s = 1;
      constant.push(fm.names[j]);
    } else {
      const mode = modeShare(x);
      if (1 - mode.share < constantShare) {
        c = mode.value;
        s = 1;
        constant.push(fm.names[j]);
      }
    }
    center[j] = c;
    scale[j] = s;
  }
  return {
    version: 1,
    method,
    names: [...fm.names],
    center,
    scale,
    clip,
    fitRange: [start, end],
    count: rows.length,
    constant,
  };
}

/** Most common value of `x` and the share (0–1) of entries equal to it. */
function modeShare(x: Float64Array): { value: number; share: number } {
  const sorted = x.slice().sort();
  let best = sorted[0];
  let bestRun = 0;
  let run = 0;
  for (let k = 0; k < sorted.length; k++) {
    run = k > 0 && sorted[k] === sorted[k - 1] ? run + 1 : 1;
    if (run > bestRun) {
      bestRun = run;
      best = sorted[k];
    }
  }
  return { value: best, share: sorted.length ? bestRun / sorted.length : 0 };
}

function checkNames(stats: NormalizerStats, names: readonly string[]): void {
  if (stats.names.length !== names.length || stats.names.some((n, j) => n !== names[j])) {
    throw new DataError(
      `normaliser was fitted on columns [${stats.names.join(", ")}] but the features have ` +
        `[${names.join(", ")}]`,
      { parameter: "stats" },
      "refit the normaliser on features computed by the same code version",
    );
  }
}

/**
 * Apply `stats` to every row of `fm`, returning a new matrix (same names/validity); invalid
 * rows stay NaN.
 */
export function applyNormalizer(fm: FeatureMatrix, stats: NormalizerStats): FeatureMatrix {
  checkNames(stats, fm.names);
  const out = new Float64Array(fm.data.length);
  const { cols } = fm;
  for (let i = 0; i < fm.rows; i++) {
    normalizeRow(
      stats,
      fm.data.subarray(i * cols, (i + 1) * cols),
      out.subarray(i * cols, (i + 1) * cols),
    );
  }
  return { ...fm, names: [...fm.names], data: out, valid: fm.valid.slice() };
}

/**
 * Normalise one row (e.g. a live bar) into `out` (may alias `row`); NaN stays NaN.
 * Allocation-free, for hot paths.
 */
export function normalizeRow(
  stats: NormalizerStats,
  row: ArrayLike<number>,
  out: Float64Array,
): Float64Array {
  const clip = stats.clip;
  for (let j = 0; j < stats.center.length; j++) {
    let z = (row[j] - stats.center[j]) / stats.scale[j];
    if (clip !== null) z = z > clip ? clip : z < -clip ? -clip : z;
    out[j] = z;
  }
  return out;
}

/** Serialise normaliser statistics to JSON text. */
export function normalizerToJson(stats: NormalizerStats): string {
  return JSON.stringify(stats, null, 1);
}

/**
 * Parse and validate normaliser statistics from JSON text.
 *
 * @throws ModelError if the text is not a valid normaliser.
 */
export function normalizerFromJson(text: string, source = "normaliser JSON"): NormalizerStats {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw new ModelError(`cannot parse ${source}: ${(e as Error).message}`, { file: source });
  }
  const s = o as NormalizerStats;
  const ok = s !== null && typeof s === "object" && s.version === 1 &&
    (s.method === "zscore" || s.method === "robust") && Array.isArray(s.names) &&
    Array.isArray(s.center) && Array.isArray(s.scale) && s.center.length === s.names.length &&
    s.scale.length === s.names.length && s.scale.every((v) => typeof v === "number" && v > 0) &&
    s.center.every((v) => typeof v === "number" && Number.isFinite(v)) &&
    (s.clip === null || (typeof s.clip === "number" && s.clip > 0)) &&
    (s.constant === undefined ||
      (Array.isArray(s.constant) && s.constant.every((n) => s.names.includes(n))));
  if (!ok) {
    throw new ModelError(
      `${source} is not a valid normaliser (version 1)`,
      { file: source },
      "refit and save it again",
    );
  }
  return s;
}
