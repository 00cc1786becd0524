/**
 * Stylised facts of a market's bars, funding and open interest: the numbers used to
 * calibrate the synthetic market against real BTCUSDT/ETHUSDT data
 * (`tools/calibrate_synthetic.ts`) and to pin its realism in tests.
 *
 * Every statistic skips non-finite values (a bar whose return, OI change or funding is NaN
 * does not count). Returns are log returns of consecutive closes; nothing checks for gaps
 * (pass gap-free bars or accept that a gap's return counts as one bar).
 *
 * @module
 */
import type { MarketData } from "./market_data.ts";

/** Stylised facts of one market (see {@link stylizedFacts}). `null` = not available. */
export interface StylizedFacts {
  /** Bars used (returns = bars − 1). */
  bars: number;
  /** Annualised volatility of log returns (fraction per year; std × √(bars per year)). */
  annualVol: number;
  /** Kurtosis (not excess: a normal law gives 3) of the log returns. */
  kurtosis: number;
  /** Autocorrelation of the log returns at lag 1 (≈ 0 in liquid markets). */
  acfReturnLag1: number;
  /** Autocorrelation of |log return| at lags 1, 12 and 288 bars (volatility clustering). */
  acfAbsReturn: { lag1: number; lag12: number; lag288: number };
  /** Fraction of bars with |r − mean| > 4 standard deviations (a normal law: 6.3e-5). */
  fractionBeyond4Sigma: number;
  /**
   * Intraday seasonality of volatility: mean |r| in the most active UTC hour divided by
   * mean |r| in the quietest (1 = none).
   */
  intradayVolRatio: number;
  /** Funding settlements (fraction per settlement), or null when the market has none. */
  funding: { count: number; mean: number; std: number; acfLag1: number } | null;
  /** Std of the per-bar log change of open interest, or null when there is none. */
  oiLogChangeStd: number | null;
}

/** Options of {@link stylizedFacts}. */
export interface StylizedFactsOptions {
  /** Bars per year for the annualisation (crypto 5-minute bars: 105,120). */
  periodsPerYear: number;
}

/** Autocorrelation at `lag` of the finite values of `a` (NaN-free input expected). */
export function autocorrelation(a: ArrayLike<number>, lag: number): number {
  const n = a.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += a[i];
  m /= n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i] - m;
    den += d * d;
    if (i >= lag) num += d * (a[i - lag] - m);
  }
  return den > 0 ? num / den : 0;
}

function finite(a: ArrayLike<number>): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i])) out.push(a[i]);
  return Float64Array.from(out);
}

function moments(a: Float64Array): { mean: number; std: number; kurtosis: number } {
  const n = a.length;
  let m = 0;
  for (const x of a) m += x;
  m /= n;
  let m2 = 0;
  let m4 = 0;
  for (const x of a) {
    const d2 = (x - m) * (x - m);
    m2 += d2;
    m4 += d2 * d2;
  }
  m2 /= n;
  m4 /= n;
  return { mean: m, std: Math.sqrt(m2), kurtosis: m2 > 0 ? m4 / (m2 * m2) : NaN };
}

/** Log returns of consecutive closes (length bars − 1; NaN where a close is not > 0). */
export function logReturns(close: ArrayLike<number>): Float64Array {
  const r = new Float64Array(Math.max(0, close.length - 1));
  for (let i = 1; i < close.length; i++) {
    r[i - 1] = close[i] > 0 && close[i - 1] > 0 ? Math.log(close[i] / close[i - 1]) : NaN;
  }
  return r;
}

/** Funding statistics of the settlement values (fraction per settlement). */
export function fundingFacts(
  settlements: ArrayLike<number>,
): { count: number; mean: number; std: number; acfLag1: number } {
  const f = finite(settlements);
  const mo = moments(f);
  return { count: f.length, mean: mo.mean, std: mo.std, acfLag1: autocorrelation(f, 1) };
}

/** Std of the per-step log change of an open-interest series (non-finite steps skipped). */
export function oiLogChangeStd(oi: ArrayLike<number>): number {
  const d: number[] = [];
  for (let i = 1; i < oi.length; i++) {
    if (oi[i] > 0 && oi[i - 1] > 0) d.push(Math.log(oi[i] / oi[i - 1]));
  }
  return moments(Float64Array.from(d)).std;
}

/**
 * The stylised facts of `market` (returns from `close`, intraday hours from `time`,
 * funding from the non-NaN `fundingRate` values, OI from `openInterest`).
 */
export function stylizedFacts(market: MarketData, options: StylizedFactsOptions): StylizedFacts {
  const raw = logReturns(market.close);
  const r = finite(raw);
  const mo = moments(r);
  const abs = r.map((x) => Math.abs(x - mo.mean));
  let beyond = 0;
  for (const x of abs) if (x > 4 * mo.std) beyond++;
  const hourSum = new Float64Array(24);
  const hourN = new Float64Array(24);
  for (let i = 0; i < raw.length; i++) {
    if (!Number.isFinite(raw[i])) continue;
    const h = new Date(market.time[i + 1]).getUTCHours();
    hourSum[h] += Math.abs(raw[i]);
    hourN[h]++;
  }
  let hi = 0;
  let lo = Infinity;
  for (let h = 0; h < 24; h++) {
    if (hourN[h] === 0) continue;
    const v = hourSum[h] / hourN[h];
    hi = Math.max(hi, v);
    lo = Math.min(lo, v);
  }
  return {
    bars: market.close.length,
    annualVol: mo.std * Math.sqrt(options.periodsPerYear),
    kurtosis: mo.kurtosis,
    acfReturnLag1: autocorrelation(r, 1),
    acfAbsReturn: {
      lag1: autocorrelation(abs, 1),
      lag12: autocorrelation(abs, 12),
      lag288: autocorrelation(abs, 288),
    },
    fractionBeyond4Sigma: beyond / r.length,
    intradayVolRatio: lo > 0 ? hi / lo : NaN,
    funding: market.fundingRate ? fundingFacts(market.fundingRate) : null,
    oiLogChangeStd: market.openInterest ? oiLogChangeStd(market.openInterest) : null,
  };
}
