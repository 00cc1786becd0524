/**
 * Performance statistics from per-bar simple returns, with the definitions of the empyrical
 * library (Quantopian, `empyrical/stats.py`: `cum_returns`, `annual_return`,
 * `annual_volatility`, `sharpe_ratio`, `sortino_ratio`, `downside_risk`, `max_drawdown`,
 * `calmar_ratio`; https://github.com/quantopian/empyrical/blob/master/empyrical/stats.py),
 * with `annualization = periodsPerYear`, `risk_free = 0` and `required_return = 0` unless
 * given.
 *
 * Conventions:
 * - Returns are simple returns per bar as fractions (0.01 = +1 %), not percent, not log.
 * - `periodsPerYear` (P) is the number of bars per year and must be given explicitly — take it
 *   from `periodsPerYear(interval, calendar)` in `lib/util` (105,120 for 5-minute crypto
 *   bars, 19,656 for 5-minute US regular-hours bars). There is no silent 252.
 * - Where empyrical returns NaN or ±inf (too few bars, zero variance, no downside, no
 *   drawdown) these functions return `null`, so results are JSON-safe and never NaN; each
 *   function documents when.
 * - Non-finite returns are bad input and raise a {@link DataError} naming the bar.
 *
 * @module
 */
import { ConfigError, DataError } from "../util/mod.ts";

/**
 * Relative tolerance under which a standard deviation counts as zero. Summing identical
 * floating-point returns does not give an exactly identical mean, so a constant return
 * series would otherwise get a spurious std of ~1e-18 and an astronomically large Sharpe.
 */
export const ZERO_STD_TOLERANCE = 1e-12;

function checkReturns(returns: ArrayLike<number>, fn: string): void {
  for (let i = 0; i < returns.length; i++) {
    if (!Number.isFinite(returns[i])) {
      throw new DataError(
        `${fn}: return at bar ${i} is ${returns[i]}`,
        { row: i + 1, parameter: "returns" },
        "returns must be finite fractions; compute them from a positive equity curve",
      );
    }
  }
}

/**
 * Check that `equity` is an equity curve, not a returns array. The rule: an equity curve is
 * money marked to market, starting with the starting capital, so its FIRST value is finite
 * and > 0 and EVERY value is finite and ≥ 0 (ruin floors equity at 0: the accounting has no
 * debt). A per-bar returns array almost always breaks it (a losing bar is negative, a flat
 * first bar is 0) and gets a {@link DataError} naming the value; an all-positive returns array
 * cannot be told apart from a (very poor) equity curve and is not caught. Empty curves pass
 * (callers decide whether they need a value).
 */
export function checkEquityCurve(equity: ArrayLike<number>, fn: string): void {
  if (equity === null || typeof equity !== "object" || typeof equity.length !== "number") {
    throw new DataError(
      `${fn}: equity must be an array of numbers, got ${equity === null ? "null" : typeof equity}`,
      { parameter: "equity" },
    );
  }
  const hint = "pass the equity curve (starting capital first, quote currency), " +
    "not per-bar returns; build returns with simpleReturns(equity)";
  if (equity.length > 0 && !(Number.isFinite(equity[0]) && equity[0] > 0)) {
    throw new DataError(
      `${fn}: the first equity value (starting capital) must be a finite number > 0, got ${
        equity[0]
      }`,
      { row: 1, parameter: "equity" },
      hint,
    );
  }
  for (let i = 1; i < equity.length; i++) {
    const e = equity[i];
    if (typeof e !== "number" || !Number.isFinite(e) || e < 0) {
      throw new DataError(
        `${fn}: equity at index ${i} is ${e}; an equity curve is finite and ≥ 0`,
        { row: i + 1, parameter: "equity" },
        hint,
      );
    }
  }
}

function checkPeriods(periodsPerYear: number, fn: string): void {
  if (!(periodsPerYear > 0) || !Number.isFinite(periodsPerYear)) {
    throw new ConfigError(
      `${fn}: periodsPerYear must be a positive number, got ${periodsPerYear}`,
      { parameter: "periodsPerYear" },
      'use periodsPerYear(interval, calendar) from lib/util, e.g. periodsPerYear("5m", "crypto") = 105120',
    );
  }
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** Arithmetic mean; 0 for an empty series. */
export function mean(x: ArrayLike<number>): number {
  const n = x.length;
  if (n === 0) return 0;
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i];
  return s / n;
}

/**
 * Sample standard deviation with `ddof` (default 1, as pandas' `Series.std` and empyrical's
 * `np.std(…, ddof=1)`), two-pass; `null` when `n − ddof < 1`.
 */
export function std(x: ArrayLike<number>, ddof = 1): number | null {
  const n = x.length;
  if (n - ddof < 1) return null;
  const m = mean(x);
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i] - m;
    ss += d * d;
  }
  return Math.sqrt(ss / (n - ddof));
}

/** Largest absolute value (0 for an empty series). */
function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

/** Whether a std is zero up to {@link ZERO_STD_TOLERANCE} relative to the data's scale. */
function isZeroStd(s: number, x: ArrayLike<number>): boolean {
  return s <= ZERO_STD_TOLERANCE * maxAbs(x);
}

/**
 * Per-bar simple returns of an equity curve: `r[t] = equity[t+1] / equity[t] − 1`, length
 * `equity.length − 1`. A bar that starts at zero or negative equity has return 0 (nothing
 * left to gain or lose). Equity values must be finite.
 */
export function simpleReturns(equity: ArrayLike<number>): Float64Array {
  const n = Math.max(0, equity.length - 1);
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const a = equity[t];
    const b = equity[t + 1];
    if (!Number.isFinite(a) || !Number.isFinite(b)) {
      throw new DataError(
        `simpleReturns: equity at bar ${Number.isFinite(a) ? t + 1 : t} is not finite`,
        { row: (Number.isFinite(a) ? t + 1 : t) + 1, parameter: "equity" },
        "equity curves must be finite",
      );
    }
    out[t] = a > 0 ? b / a - 1 : 0;
  }
  return out;
}

/**
 * Cumulative return path `Π(1 + r) − 1` after each bar (empyrical `cum_returns`, starting
 * value 0), computed as `exp(Σ log1p(r)) − 1` like empyrical. A return of −100 % or worse
 * pins the path at −1.
 */
export function cumulativeReturns(returns: ArrayLike<number>): Float64Array {
  checkReturns(returns, "cumulativeReturns");
  const out = new Float64Array(returns.length);
  let logSum = 0;
  let dead = false;
  for (let i = 0; i < returns.length; i++) {
    if (dead || returns[i] <= -1) {
      dead = true;
      out[i] = -1;
      continue;
    }
    logSum += Math.log1p(returns[i]);
    out[i] = Math.exp(logSum) - 1;
  }
  return out;
}

/** Total compounded return `Π(1 + r) − 1` as a fraction; 0 for no bars. */
export function totalReturn(returns: ArrayLike<number>): number {
  const n = returns.length;
  if (n === 0) return 0;
  const c = cumulativeReturns(returns);
  return c[n - 1];
}

/**
 * Annualised (compound annual growth) return as a fraction:
 * `(Π(1 + r))^(P / N) − 1` (empyrical `annual_return`). `null` for no bars or when the
 * result overflows (a very short, very profitable series raised to a huge power); −1 when
 * the wealth was wiped out (total return ≤ −100 %).
 */
export function annualReturn(returns: ArrayLike<number>, periodsPerYear: number): number | null {
  checkPeriods(periodsPerYear, "annualReturn");
  const n = returns.length;
  if (n === 0) return null;
  const growth = 1 + totalReturn(returns);
  if (growth <= 0) return -1;
  return finiteOrNull(Math.pow(growth, periodsPerYear / n) - 1);
}

/**
 * Annualised volatility as a fraction: sample std (ddof 1) × √P (empyrical
 * `annual_volatility` with its default alpha 2). `null` with fewer than 2 bars.
 */
export function annualVolatility(
  returns: ArrayLike<number>,
  periodsPerYear: number,
): number | null {
  checkPeriods(periodsPerYear, "annualVolatility");
  checkReturns(returns, "annualVolatility");
  const s = std(returns, 1);
  return s === null ? null : s * Math.sqrt(periodsPerYear);
}

/** Options of {@link sharpeRatio}. */
export interface SharpeOptions {
  /** Risk-free return PER BAR (fraction), subtracted from every return. Default 0. */
  riskFree?: number;
}

/**
 * Annualised Sharpe ratio: `mean(r − rf) / std(r − rf, ddof 1) × √P` (empyrical
 * `sharpe_ratio`). `null` (empyrical: NaN) with fewer than 2 bars or zero variance
 * (constant returns, e.g. an always-flat strategy).
 */
export function sharpeRatio(
  returns: ArrayLike<number>,
  periodsPerYear: number,
  options: SharpeOptions = {},
): number | null {
  checkPeriods(periodsPerYear, "sharpeRatio");
  checkReturns(returns, "sharpeRatio");
  const rf = options.riskFree ?? 0;
  const n = returns.length;
  if (n < 2) return null;
  const adj = new Float64Array(n);
  for (let i = 0; i < n; i++) adj[i] = returns[i] - rf;
  const s = std(adj, 1) as number;
  if (isZeroStd(s, adj)) return null;
  return finiteOrNull((mean(adj) / s) * Math.sqrt(periodsPerYear));
}

/** Options of {@link sortinoRatio} and {@link downsideRisk}. */
export interface SortinoOptions {
  /** Minimum acceptable return PER BAR (fraction). Default 0. */
  requiredReturn?: number;
}

/**
 * Annualised downside deviation: `√(mean over ALL bars of min(r − required, 0)²) × √P`
 * (empyrical `downside_risk`; note the mean runs over every bar, not only the losing ones,
 * and there is no ddof correction). `null` for no bars.
 */
export function downsideRisk(
  returns: ArrayLike<number>,
  periodsPerYear: number,
  options: SortinoOptions = {},
): number | null {
  checkPeriods(periodsPerYear, "downsideRisk");
  checkReturns(returns, "downsideRisk");
  const req = options.requiredReturn ?? 0;
  const n = returns.length;
  if (n === 0) return null;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.min(returns[i] - req, 0);
    ss += d * d;
  }
  return Math.sqrt(ss / n) * Math.sqrt(periodsPerYear);
}

/**
 * Annualised Sortino ratio: `mean(r − required) × P / downsideRisk` =
 * `mean(r − required) × P / (√(mean over all bars of min(r − required, 0)²) × √P)`
 * (empyrical `sortino_ratio`). `null` with fewer than 2 bars (empyrical: NaN) or when no bar
 * is below the required return (empyrical: ±inf or NaN).
 */
export function sortinoRatio(
  returns: ArrayLike<number>,
  periodsPerYear: number,
  options: SortinoOptions = {},
): number | null {
  checkPeriods(periodsPerYear, "sortinoRatio");
  if (returns.length < 2) return null;
  const dr = downsideRisk(returns, periodsPerYear, options) as number;
  if (!(dr > 0)) return null;
  const req = options.requiredReturn ?? 0;
  let m = 0;
  for (let i = 0; i < returns.length; i++) m += returns[i] - req;
  m /= returns.length;
  return finiteOrNull((m * periodsPerYear) / dr);
}

/**
 * Maximum drawdown of a RETURN series, exactly as empyrical `max_drawdown`: the running peak
 * starts at the wealth after the FIRST bar, so a loss on the first bars before any peak is
 * not counted. Negative fraction (−0.25 = −25 %) or 0; 0 for no bars (empyrical: NaN).
 * For an equity curve that includes the starting capital use {@link drawdownStats}, which
 * measures from the initial equity (what the backtest reports).
 */
export function maxDrawdown(returns: ArrayLike<number>): number {
  const c = cumulativeReturns(returns);
  let peak = -Infinity;
  let mdd = 0;
  for (let i = 0; i < c.length; i++) {
    const w = 1 + c[i];
    if (w > peak) peak = w;
    if (peak > 0) mdd = Math.min(mdd, (w - peak) / peak);
  }
  return mdd;
}

/** Options of {@link calmarRatio}. */
export interface CalmarOptions {
  /**
   * Use this maximum drawdown (negative fraction) instead of empyrical's returns-only
   * {@link maxDrawdown}, e.g. the equity-curve drawdown from {@link drawdownStats}.
   */
  maxDrawdown?: number;
}

/**
 * Calmar ratio: annualised return / |max drawdown| (empyrical `calmar_ratio`). `null`
 * (empyrical: NaN) when there is no drawdown, the annual return is undefined, or the ratio
 * is infinite.
 */
export function calmarRatio(
  returns: ArrayLike<number>,
  periodsPerYear: number,
  options: CalmarOptions = {},
): number | null {
  const mdd = options.maxDrawdown ?? maxDrawdown(returns);
  if (!(mdd < 0)) return null;
  const ar = annualReturn(returns, periodsPerYear);
  if (ar === null) return null;
  return finiteOrNull(ar / Math.abs(mdd));
}

/**
 * Drawdown path of an equity curve: `(equity[t] − max(equity[0..t])) / max(equity[0..t])`,
 * a non-positive fraction per point, same length as `equity`. The running peak includes the
 * first value (the starting capital).
 */
export function drawdownSeries(equity: ArrayLike<number>): Float64Array {
  const out = new Float64Array(equity.length);
  let peak = -Infinity;
  for (let i = 0; i < equity.length; i++) {
    const e = equity[i];
    if (e > peak) peak = e;
    out[i] = peak > 0 ? (e - peak) / peak : 0;
  }
  return out;
}

/** Result of {@link drawdownStats}. */
export interface DrawdownStats {
  /** Deepest drawdown from a running peak, negative fraction (−0.2 = −20 %) or 0. */
  maxDrawdown: number;
  /** Index (into the equity curve) of the peak before the deepest drawdown. */
  peakIndex: number;
  /** Index of the deepest point. */
  troughIndex: number;
  /**
   * Longest time under water, in bars: from a peak to the first later point at or above it,
   * or to the last point when the curve never recovers. 0 when equity never falls below a
   * peak.
   */
  maxDurationBars: number;
  /** The same duration in milliseconds (`maxDurationBars × intervalMs`). */
  maxDurationMs: number;
  /** Whether the longest under-water spell ended with a recovery to the old peak. */
  recovered: boolean;
}

/**
 * Maximum drawdown (depth, measured from the starting capital on) and the longest drawdown
 * duration of an equity curve. `intervalMs` is the bar length used for the duration in
 * milliseconds (0 if unknown). Equal to empyrical's `max_drawdown` of the returns with the
 * starting value included. `equity` must pass {@link checkEquityCurve} (first value > 0,
 * every value finite and ≥ 0): a returns array is rejected with a {@link DataError}.
 */
export function drawdownStats(equity: ArrayLike<number>, intervalMs = 0): DrawdownStats {
  checkEquityCurve(equity, "drawdownStats");
  if (!(Number.isFinite(intervalMs) && intervalMs >= 0)) {
    throw new ConfigError(
      `drawdownStats: intervalMs must be a finite number ≥ 0, got ${intervalMs}`,
      { parameter: "intervalMs" },
    );
  }
  let peak = -Infinity;
  let peakIdx = 0;
  let underwater = false;
  let mdd = 0;
  let mddPeak = 0;
  let mddTrough = 0;
  let longest = 0;
  let longestRecovered = false;
  const n = equity.length;
  for (let i = 0; i < n; i++) {
    const e = equity[i];
    if (e >= peak) {
      if (underwater && i - peakIdx > longest) {
        longest = i - peakIdx;
        longestRecovered = true;
      }
      underwater = false;
      peak = e;
      peakIdx = i;
      continue;
    }
    underwater = true;
    const dd = peak > 0 ? (e - peak) / peak : 0;
    if (dd < mdd) {
      mdd = dd;
      mddPeak = peakIdx;
      mddTrough = i;
    }
  }
  if (underwater && n - 1 - peakIdx > longest) {
    longest = n - 1 - peakIdx;
    longestRecovered = false;
  }
  return {
    maxDrawdown: mdd,
    peakIndex: mddPeak,
    troughIndex: mddTrough,
    maxDurationBars: longest,
    maxDurationMs: longest * intervalMs,
    recovered: longestRecovered,
  };
}

/**
 * Rolling annualised Sharpe ratio over `window` bars (mean / std ddof 1 × √P of the last
 * `window` returns, ending at each bar). NaN for the first `window − 1` bars and where the
 * window's variance is zero (figures turn NaN into gaps).
 */
export function rollingSharpe(
  returns: ArrayLike<number>,
  window: number,
  periodsPerYear: number,
): Float64Array {
  checkPeriods(periodsPerYear, "rollingSharpe");
  if (!Number.isInteger(window) || window < 2) {
    throw new ConfigError(`rollingSharpe: window must be an integer ≥ 2, got ${window}`, {
      parameter: "window",
    });
  }
  const n = returns.length;
  const out = new Float64Array(n).fill(NaN);
  const sq = Math.sqrt(periodsPerYear);
  for (let t = window - 1; t < n; t++) {
    let s = 0;
    let mx = 0;
    for (let i = t - window + 1; i <= t; i++) {
      s += returns[i];
      mx = Math.max(mx, Math.abs(returns[i]));
    }
    const m = s / window;
    let ss = 0;
    for (let i = t - window + 1; i <= t; i++) {
      const d = returns[i] - m;
      ss += d * d;
    }
    const sd = Math.sqrt(ss / (window - 1));
    out[t] = sd <= ZERO_STD_TOLERANCE * mx ? NaN : (m / sd) * sq;
  }
  return out;
}
