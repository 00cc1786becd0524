/**
 * The volatility model of the options env: an implied volatility for any strike and tenor
 * from the VIX level (or from realised volatility when no VIX is given), and IV rank.
 *
 * ## Surface
 * VIX/100 is the market's 30-day implied volatility of the S&P 500 (a variance-swap rate, so
 * it includes the skew premium and sits above at-the-money SPY implied volatility). With
 * `v = VIX/100`, `T` years (floored at one day), forward `F = S·e^{(r−q)T}` and standardised
 * moneyness `x = ln(K/F)/√T`, the model is
 *
 * `σ(K, T) = v · (level + termSlope·ln(T / (30/365)) + skew·x + curvature·x²)`,
 *
 * clipped to `[minVol, maxVol]`. `level` is SPY's 30-day at-the-money IV as a fraction of
 * VIX/100, `termSlope` the change per log-tenor, `skew` and `curvature` the smile in units of
 * moneyness per √year. The constants {@link SPY_VIX_SURFACE} were fitted by least squares
 * on the out-of-the-money quotes (calls K ≥ S, puts K < S; 2–60 days, |ln K/S| ≤ 10 %) of the
 * two SPY chains in `../shared/data` (2026-02-11 and 2026-02-12) with VIX interpolated to each
 * snapshot (`tools/fit_options_models.ts`, which prints them with their fit quality).
 *
 * ## Realised-volatility fallback
 * Without VIX, an equivalent VIX is `100 · VIX_OVER_REALISED · σ_realised` with `σ_realised`
 * the annualised standard deviation of the last 21 daily log returns; the ratio is the
 * median of VIX/100 over SPY's trailing 21-day realised volatility, 1993–2026 (same script).
 *
 * ## IV rank
 * `100 · (x_t − min) / (max − min)` over the trailing window (default 252 sessions, one year)
 * of a daily volatility series (VIX closes or the model's at-the-money IV), in PERCENT
 * [0, 100]; 50 when the window is flat; NaN until `minHistory` values are available.
 *
 * @module
 */
import { newYorkDate, newYorkMinuteOfDay } from "./time.ts";

/** Parameters of the VIX-based surface (see the module docs). */
export interface VolSurfaceParams {
  /** SPY 30-day ATM IV / (VIX/100). */
  level: number;
  /** Change of the multiplier per unit of ln(T / 30 days). */
  termSlope: number;
  /** Multiplier change per unit of ln(K/F)/√T. */
  skew: number;
  /** Multiplier change per unit of (ln(K/F)/√T)². */
  curvature: number;
  /** Lower clip of the volatility, fraction/yr. */
  minVol: number;
  /** Upper clip of the volatility, fraction/yr. */
  maxVol: number;
}

/**
 * Fitted on the two SPY chains of `../shared/data` (2026-02-11 16:19 UTC, VIX ≈ 17.81;
 * 2026-02-12 17:59 UTC, VIX ≈ 19.19) by `deno run -A tools/fit_options_models.ts`:
 * 2,231 out-of-the-money quotes; |model IV − IV(mid)| median 1.52 vol points, 90th percentile
 * 2.70; |model price − mid| median 0.45, 90th percentile 1.23 USD per share. Most of the
 * residual is the level: SPY's 30-day ATM IV was 0.83 × VIX/100 on the first snapshot and
 * 0.89 × on the second (VIX itself is interpolated between daily open and close).
 */
export const SPY_VIX_SURFACE: Readonly<VolSurfaceParams> = Object.freeze({
  level: 0.8663,
  termSlope: 0.0354,
  skew: -0.9,
  curvature: 0.8283,
  minVol: 0.03,
  maxVol: 3,
});

/**
 * Median of (VIX/100) / (SPY trailing 21-day realised volatility), daily data 1993–2026
 * (`tools/fit_options_models.ts`): 1.3116 over 8,427 days (10th–90th percentile 0.94–1.86;
 * 1.341 since 2016) — implied volatility carries a variance risk premium over realised.
 */
export const VIX_OVER_REALISED = 1.3116;

/** 30 days in years. */
const T30 = 30 / 365;
const DAY = 1 / 365;

/** One volatility query; reuse the object in hot loops. */
export interface VolQuery {
  /** VIX level in index points (17.8 = 17.8 %). */
  vix: number;
  /** Spot price. */
  spot: number;
  /** Strike. */
  strike: number;
  /** Years to expiry. */
  years: number;
  /** Rate, fraction/yr (continuous). */
  rate: number;
  /** Dividend yield, fraction/yr (continuous). */
  dividend: number;
}

/**
 * Implied volatility (annualised fraction) of the surface at a strike and tenor (see the
 * module docs). `params` defaults to {@link SPY_VIX_SURFACE}.
 */
export function surfaceVol(q: VolQuery, params: VolSurfaceParams = SPY_VIX_SURFACE): number {
  const t = q.years > DAY ? q.years : DAY;
  const x = (Math.log(q.strike / q.spot) - (q.rate - q.dividend) * t) / Math.sqrt(t);
  const m = params.level + params.termSlope * Math.log(t / T30) + params.skew * x +
    params.curvature * x * x;
  const v = (q.vix / 100) * m;
  return v < params.minVol ? params.minVol : v > params.maxVol ? params.maxVol : v;
}

/**
 * Annualised realised volatility (fraction) of the log returns of `closes` over the `window`
 * returns ending at index `end` (inclusive): `√(periodsPerYear · Σr²/(n−1))` around the mean.
 * NaN when fewer than 2 returns are available.
 */
export function realisedVol(
  closes: ArrayLike<number>,
  end: number,
  options: { window?: number; periodsPerYear?: number } = {},
): number {
  const w = options.window ?? 21;
  const ppy = options.periodsPerYear ?? 252;
  const start = Math.max(1, end - w + 1);
  const n = end - start + 1;
  if (n < 2) return NaN;
  let s = 0;
  let s2 = 0;
  for (let i = start; i <= end; i++) {
    const r = Math.log(closes[i] / closes[i - 1]);
    s += r;
    s2 += r * r;
  }
  const mean = s / n;
  const v = (s2 - n * mean * mean) / (n - 1);
  return Math.sqrt((v > 0 ? v : 0) * ppy);
}

/** The VIX level equivalent to a realised volatility: `100 · ratio · σ_realised`. */
export function vixFromRealised(realised: number, ratio: number = VIX_OVER_REALISED): number {
  return 100 * ratio * realised;
}

/**
 * IV rank of `value` in PERCENT [0, 100] against `history[end − window, end)` plus the value
 * itself: `100 · (value − min) / (max − min)`; 50 when they are all equal; NaN when `value`
 * is NaN or fewer than `minHistory` (default 20) finite values are available (NaN history
 * entries are skipped).
 */
export function ivRank(
  value: number,
  history: ArrayLike<number>,
  options: { end: number; window: number; minHistory?: number },
): number {
  const minH = options.minHistory ?? 20;
  let lo = value;
  let hi = value;
  let cnt = 1;
  for (let j = Math.max(0, options.end - options.window); j < options.end; j++) {
    const v = history[j];
    if (!(v === v)) continue;
    cnt++;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(value === value) || cnt < minH) return NaN;
  return hi > lo ? (100 * (value - lo)) / (hi - lo) : 50;
}

/**
 * IV rank series in PERCENT [0, 100] of a daily volatility series: for each day the
 * {@link ivRank} of its value within the trailing `window` days including itself (default
 * 252, one year); NaN until `minHistory` (default 20) values are available.
 */
export function ivRankSeries(
  values: ArrayLike<number>,
  options: { window?: number; minHistory?: number } = {},
): Float64Array {
  const w = options.window ?? 252;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    out[i] = ivRank(values[i], values, { end: i, window: w - 1, minHistory: options.minHistory });
  }
  return out;
}

/** A daily index series (e.g. VIX): New York session dates with open and close levels. */
export interface DailyLevels {
  /** Session dates `YYYY-MM-DD`, increasing. */
  date: string[];
  /** Level at the session open (09:30 New York). */
  open: Float64Array;
  /** Level at the close. */
  close: Float64Array;
}

/**
 * The level of a daily index at an instant, interpolated linearly in time between the day's
 * open (09:30 New York) and close (`closeTime`, default 16:15, the VIX close); before the
 * open it is the previous close, after the close the close; on a date missing from the series
 * the last earlier close. NaN before the first date.
 */
export function levelAt(
  daily: DailyLevels,
  ms: number,
  options: { closeMinute?: number } = {},
): number {
  const d = newYorkDate(ms);
  const minute = newYorkMinuteOfDay(ms);
  const closeMin = options.closeMinute ?? 16 * 60 + 15;
  // last index with date ≤ d
  let lo = 0;
  let hi = daily.date.length - 1;
  let k = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (daily.date[mid] <= d) {
      k = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (k < 0) return NaN;
  if (daily.date[k] < d) return daily.close[k];
  if (minute < 570) return k > 0 ? daily.close[k - 1] : daily.open[k];
  if (minute >= closeMin) return daily.close[k];
  const f = (minute - 570) / (closeMin - 570);
  return daily.open[k] + f * (daily.close[k] - daily.open[k]);
}
