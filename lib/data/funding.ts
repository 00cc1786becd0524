/**
 * Funding units: the toolkit stores funding as the rate PER SETTLEMENT (a fraction,
 * 0.0001 = 0.01 %) together with the settlement interval. Third-party exports differ: some
 * store the 8-hour rate divided by 8 ("per hour"), some store percent. This module detects
 * the interval from the time stamps and checks the magnitudes.
 *
 * ## The magnitude heuristic (precise)
 * Binance USDT-M funding = premium + clamp(interest − premium, ±0.05 %), with an interest rate
 * of 0.03 % per day, i.e. 0.01 % (1e-4) per 8 hours, or `1e-4 × h / 8` for an `h`-hour
 * interval. Whenever the premium stays within the clamp the rate equals the interest, so in
 * normal markets the MEDIAN |rate| per settlement sits at that baseline (BTCUSDT 2020–2023:
 * median |rate| = 1.0e-4 per 8 h). Let `ratio = median |rate| / (1e-4 × h / 8)` over the
 * finite non-zero settlements (at least {@link MIN_SETTLEMENTS_FOR_CHECK}):
 * - `ratio < 1 / √h` (for 8 h: below 3.5e-5, i.e. nearer the per-hour value 1.25e-5 than the
 *   per-8 h value 1e-4 on a log scale): the file looks like a rate PER HOUR (the interval's
 *   rate ÷ h, the common "÷ 8" convention) → suggested scale `h` (`--funding-scale 8`).
 * - `√8 < ratio < √800` with `h < 8`: looks like an 8-hour rate on a shorter interval →
 *   suggested scale `h / 8`.
 * - `ratio ≥ √800 ≈ 28.3` (for 8 h: median ≥ 2.8e-3 = 0.28 % per settlement): looks like
 *   PERCENT → suggested scale 0.01.
 * Otherwise the units look right. A high-funding regime (ratio 3–28 on 8 h) is NOT flagged.
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";
import type { TimeSeries } from "./align.ts";

/** Typical |funding rate| per 8 hours (Binance's interest component, 0.01 %). */
export const BASELINE_FUNDING_PER_8H = 1e-4;

/** Fewer finite non-zero settlements than this: units are not judged. */
export const MIN_SETTLEMENTS_FOR_CHECK = 10;

const HOUR_MS = 3_600_000;

/** What {@link checkFundingUnits} found. */
export interface FundingUnits {
  /** Settlement interval, ms (median spacing rounded to whole hours; 0 when unknown). */
  intervalMs: number;
  /** Settlement interval in hours. */
  intervalHours: number;
  /** Finite settlements. */
  settlements: number;
  /** Scale applied to the file's values (1 = as read). */
  scale: number;
  /** Median |rate| of the finite non-zero settlements, after `scale` (fraction). */
  medianAbsRate: number;
  /** Baseline |rate| per settlement for this interval: `1e-4 × hours / 8`. */
  expectedAbsRate: number;
  /** `medianAbsRate / expectedAbsRate` (NaN when not judged). */
  ratio: number;
  /** What the magnitudes look like. */
  looksLike: "per-settlement" | "per-hour" | "per-8h-on-shorter-interval" | "percent" | "unknown";
  /** Scale that would fix the units (null when they look right or cannot be judged). */
  suggestedScale: number | null;
  /** A warning naming the file and the fix, when the units look wrong. */
  warning?: string;
}

/**
 * Settlement interval of funding times (ms): the median spacing rounded to the nearest whole
 * hour (absorbs ms jitter and a few missing settlements); 0 with fewer than two settlements.
 */
export function detectFundingIntervalMs(time: ArrayLike<number>): number {
  const d: number[] = [];
  for (let i = 1; i < time.length; i++) {
    const x = time[i] - time[i - 1];
    if (x > 0) d.push(x);
  }
  if (d.length === 0) return 0;
  d.sort((a, b) => a - b);
  const med = d[Math.floor(d.length / 2)];
  return Math.max(1, Math.round(med / HOUR_MS)) * HOUR_MS;
}

/** Options of {@link checkFundingUnits}. */
export interface FundingUnitsOptions {
  /** File name for the warning. */
  file?: string;
  /** Scale already applied (the `--funding-scale` value). Default 1. */
  scale?: number;
  /** Settlement interval, ms (default: detected). */
  intervalMs?: number;
}

/** Validate a `--funding-scale` value (finite, > 0). */
export function checkFundingScale(scale: number): void {
  if (!(Number.isFinite(scale) && scale > 0)) {
    throw new ConfigError(`--funding-scale must be a finite number > 0 (got ${scale})`, {
      parameter: "--funding-scale",
    }, "e.g. --funding-scale 8 for a file storing the 8-hour rate divided by 8");
  }
}

/**
 * Judge the units of a funding series whose values are ALREADY multiplied by
 * `options.scale` (see the module documentation for the exact rule and thresholds).
 */
export function checkFundingUnits(
  series: TimeSeries,
  options: FundingUnitsOptions = {},
): FundingUnits {
  const scale = options.scale ?? 1;
  const intervalMs = options.intervalMs ?? detectFundingIntervalMs(series.time);
  const h = intervalMs / HOUR_MS;
  const abs: number[] = [];
  let settlements = 0;
  for (const v of series.value) {
    if (!Number.isFinite(v)) continue;
    settlements++;
    if (v !== 0) abs.push(Math.abs(v));
  }
  abs.sort((a, b) => a - b);
  const median = abs.length ? abs[Math.floor(abs.length / 2)] : NaN;
  const expected = h > 0 ? BASELINE_FUNDING_PER_8H * h / 8 : NaN;
  const out: FundingUnits = {
    intervalMs,
    intervalHours: h,
    settlements,
    scale,
    medianAbsRate: median,
    expectedAbsRate: expected,
    ratio: NaN,
    looksLike: "unknown",
    suggestedScale: null,
  };
  if (abs.length < MIN_SETTLEMENTS_FOR_CHECK || !(h > 0)) return out;
  const ratio = median / expected;
  out.ratio = ratio;
  out.looksLike = "per-settlement";
  const file = options.file ?? "funding";
  const fmt = (x: number) => x.toExponential(2);
  const head = `${file}: median |funding rate| ${fmt(median)} per ${h} h settlement`;
  const tail = scale !== 1 ? ` (after --funding-scale ${scale})` : "";
  if (ratio >= Math.sqrt(800)) {
    out.looksLike = "percent";
    out.suggestedScale = 0.01 * scale;
  } else if (h > 1 && ratio < 1 / Math.sqrt(h)) {
    out.looksLike = "per-hour";
    out.suggestedScale = h * scale;
  } else if (h < 8 && ratio > Math.sqrt(8)) {
    out.looksLike = "per-8h-on-shorter-interval";
    out.suggestedScale = (h / 8) * scale;
  }
  if (out.suggestedScale !== null) {
    const f = out.suggestedScale / scale;
    const why = out.looksLike === "percent"
      ? "looks like PERCENT"
      : out.looksLike === "per-hour"
      ? `looks like a rate PER HOUR (the ${h}-hour rate divided by ${h})`
      : "looks like an 8-hour rate on a shorter settlement interval";
    out.warning = `${head}${tail} ${why}; the typical value is ${
      fmt(expected)
    } (0.01 % per 8 h), so funding costs would be ${
      f > 1 ? `understated ${+f.toPrecision(4)}×` : `overstated ${+(1 / f).toPrecision(4)}×`
    }. If the file uses that convention, pass --funding-scale ${+out.suggestedScale.toPrecision(
      6,
    )}`;
  }
  return out;
}

/** A copy of `series` with every value multiplied by `scale`. */
export function scaleFunding(series: TimeSeries, scale: number): TimeSeries {
  checkFundingScale(scale);
  if (scale === 1) return series;
  const value = new Float64Array(series.value.length);
  for (let i = 0; i < value.length; i++) value[i] = series.value[i] * scale;
  return { time: series.time, value };
}
