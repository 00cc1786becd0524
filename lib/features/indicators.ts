/**
 * Classic indicators, aligned to bar indices.
 *
 * The `technicalindicators` package returns arrays WITHOUT its warm-up values (an RSI(14) of
 * `n` closes has `n − 14` values). Every function here returns a `Float64Array` of length `n`
 * whose element `i` is the indicator at bar `i` (NaN during warm-up), and checks that the
 * package returned exactly the number of values expected, so a change of its warm-up
 * convention fails loudly instead of silently shifting every value by a bar.
 *
 * All indicators are causal: the value at bar `i` reads only bars `≤ i`.
 *
 * @module
 */

import * as ti from "technicalindicators";
import { DataError } from "../util/mod.ts";

/** Place `out` (a warm-up-free result) at the tail of a length-`n` NaN array. */
function alignTail(
  out: ArrayLike<number | undefined>,
  n: number,
  warmup: number,
  what: string,
): Float64Array {
  const res = new Float64Array(n).fill(NaN);
  const expected = Math.max(0, n - warmup);
  if (out.length !== expected) {
    throw new DataError(
      `technicalindicators ${what} returned ${out.length} values for ${n} bars, expected ${expected}`,
      { parameter: what },
      "the package's warm-up convention changed; re-check lib/features/indicators.ts",
    );
  }
  const off = n - out.length;
  for (let k = 0; k < out.length; k++) {
    const v = out[k];
    res[off + k] = v === undefined ? NaN : v;
  }
  return res;
}

function asArray(a: ArrayLike<number>): number[] {
  return Array.from(a);
}

/**
 * Wilder's RSI in [0, 100] (unitless). First value at bar `period` (it needs `period` price
 * changes); the averages are Wilder's smoothing seeded with the simple mean of the first
 * `period` gains/losses. Uses the package's `AverageGain`/`AverageLoss` (its `RSI` rounds to
 * two decimals, which we avoid). A window with no gains and no losses (constant price) gives
 * the neutral value 50; no losses gives 100; no gains gives 0.
 */
export function rsiWilder(close: ArrayLike<number>, period = 14): Float64Array {
  const n = close.length;
  const values = asArray(close);
  const g = alignTail(ti.AverageGain.calculate({ values, period }), n, period, "AverageGain");
  const l = alignTail(ti.AverageLoss.calculate({ values, period }), n, period, "AverageLoss");
  const out = new Float64Array(n).fill(NaN);
  for (let i = period; i < n; i++) {
    const ag = g[i];
    const al = l[i];
    if (al === 0 && ag === 0) out[i] = 50;
    else if (al === 0) out[i] = 100;
    else out[i] = 100 - 100 / (1 + ag / al);
  }
  return out;
}

/**
 * Wilder's Average True Range, in PRICE units. True range at bar `i ≥ 1` is
 * `max(high − low, |high − close[i−1]|, |low − close[i−1]|)`; the first ATR (bar `period`) is
 * the mean of the true ranges of bars `1..period`, then `ATR = (ATR[i−1]·(period−1) + TR)/period`.
 */
export function atrWilder(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  period = 14,
): Float64Array {
  const n = close.length;
  const out = ti.ATR.calculate({
    high: asArray(high),
    low: asArray(low),
    close: asArray(close),
    period,
  });
  return alignTail(out, n, period, "ATR");
}

/**
 * Bollinger %B (unitless): `(close − lower) / (upper − lower)` for bands `SMA(period) ± k·σ`
 * with the population standard deviation over the last `period` closes (the bar itself
 * included). 0 = on the lower band, 1 = on the upper band, 0.5 = on the mean. A window with
 * zero width (constant price) gives the neutral 0.5. First value at bar `period − 1`.
 */
export function bollingerPercentB(close: ArrayLike<number>, period = 20, k = 2): Float64Array {
  const n = close.length;
  const bb = ti.BollingerBands.calculate({ values: asArray(close), period, stdDev: k });
  const out = new Float64Array(n).fill(NaN);
  const expected = Math.max(0, n - (period - 1));
  if (bb.length !== expected) {
    throw new DataError(
      `technicalindicators BollingerBands returned ${bb.length} values for ${n} bars, expected ${expected}`,
      { parameter: "BollingerBands" },
    );
  }
  const off = n - bb.length;
  for (let j = 0; j < bb.length; j++) {
    const { upper, lower } = bb[j];
    const i = off + j;
    const width = upper - lower;
    // Width 0 (or rounding noise far below a price tick) → neutral 0.5.
    out[i] = width > 1e-12 * Math.abs(upper) ? (close[i] - lower) / width : 0.5;
  }
  return out;
}

/**
 * MACD histogram (`MACD − signal`) in PRICE units, EMA-based (fast/slow/signal = 12/26/9 by
 * default, each EMA seeded with the simple mean of its first `period` inputs). First value
 * at bar `slow + signal − 2`.
 */
export function macdHistogram(
  close: ArrayLike<number>,
  fast = 12,
  slow = 26,
  signal = 9,
): Float64Array {
  const n = close.length;
  const m = ti.MACD.calculate({
    values: asArray(close),
    fastPeriod: fast,
    slowPeriod: slow,
    signalPeriod: signal,
    SimpleMAOscillator: false,
    SimpleMASignal: false,
  });
  const hist = alignTail(m.map((o) => o.histogram), n, slow - 1, "MACD");
  // The package reports an undefined histogram until the signal EMA exists.
  for (let i = 0; i < Math.min(n, slow + signal - 2); i++) hist[i] = NaN;
  return hist;
}

/**
 * Exponential moving average (price units), `α = 2/(period+1)`, seeded with the simple mean
 * of the first `period` values. First value at bar `period − 1`.
 */
export function ema(values: ArrayLike<number>, period: number): Float64Array {
  const n = values.length;
  return alignTail(ti.EMA.calculate({ values: asArray(values), period }), n, period - 1, "EMA");
}

/**
 * Simple moving average over the last `period` values (the current one included), computed
 * directly (no running sum, so no drift). First value at bar `period − 1`.
 */
export function sma(values: ArrayLike<number>, period: number): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(NaN);
  for (let i = period - 1; i < n; i++) {
    let s = 0;
    for (let k = i - period + 1; k <= i; k++) s += values[k];
    out[i] = s / period;
  }
  return out;
}

/**
 * Realised volatility: population standard deviation of the last `period` one-bar LOG returns
 * `ln(close[i]/close[i−1])`, as a per-bar fraction (NOT annualised; multiply by
 * `sqrt(periodsPerYear)` to annualise). First value at bar `period`.
 */
export function realizedVol(close: ArrayLike<number>, period = 20): Float64Array {
  const n = close.length;
  const r = new Float64Array(n).fill(NaN);
  for (let i = 1; i < n; i++) r[i] = Math.log(close[i] / close[i - 1]);
  const out = new Float64Array(n).fill(NaN);
  for (let i = period; i < n; i++) {
    let m = 0;
    for (let k = i - period + 1; k <= i; k++) m += r[k];
    m /= period;
    let v = 0;
    for (let k = i - period + 1; k <= i; k++) v += (r[k] - m) * (r[k] - m);
    out[i] = Math.sqrt(v / period);
  }
  return out;
}

/** Simple return over `lag` bars as a fraction: `close[i]/close[i−lag] − 1`. First at bar `lag`. */
export function pctChange(values: ArrayLike<number>, lag: number): Float64Array {
  const n = values.length;
  const out = new Float64Array(n).fill(NaN);
  for (let i = lag; i < n; i++) out[i] = values[i] / values[i - lag] - 1;
  return out;
}
