/**
 * Pricer errors on a chain by moneyness and tenor (notebook 09), and the volatility model
 * against VIX on daily data.
 *
 * {@link chainErrorGrid}: out-of-the-money quotes (calls with K ≥ S, puts with K < S: the
 * liquid side the surface was fitted on) bucketed by moneyness `K/S − 1` and calendar days to
 * expiry; per bucket the median absolute error of the BSM price at the volatility model's IV
 * vs the bid/ask mid (USD per share, and as a fraction of the mid), and the median
 * |model IV − IV(mid)| in vol points (quotes whose IV cannot be solved are counted apart).
 *
 * {@link volModelVsVix}: per day, VIX against (a) the realised-volatility fallback the env
 * uses without VIX (`100 × VIX_OVER_REALISED × σ_21d`) and (b) the model's 30-day
 * at-the-money IV of SPY at that VIX (`surfaceVol`), with summary statistics.
 *
 * @module
 */
import { bsmPrice, type OptionInputs } from "./bsm.ts";
import type { OptionChain } from "./chain.ts";
import { quantile } from "./fit.ts";
import { impliedVol } from "./implied_vol.ts";
import {
  realisedVol,
  surfaceVol,
  VIX_OVER_REALISED,
  type VolQuery,
  type VolSurfaceParams,
} from "./vol_model.ts";

/** One moneyness × tenor bucket of {@link chainErrorGrid}. */
export interface ChainErrorCell {
  /** Moneyness bucket `[lo, hi)` of K/S − 1 (fraction), e.g. "−5…−2 %". */
  moneyness: string;
  /** Tenor bucket in calendar days, e.g. "8–30 d". */
  tenor: string;
  /** Quotes in the bucket. */
  n: number;
  /** Median |BSM(model IV) − mid|, USD per share (NaN when empty). */
  priceError: number;
  /** Median |BSM(model IV) − mid| / mid (fraction). */
  relativeError: number;
  /** Median |model IV − IV(mid)|, vol points. */
  ivError: number;
  /** Quotes whose IV could not be solved from the mid. */
  ivUnsolved: number;
}

/** Options of {@link chainErrorGrid}. */
export interface ChainErrorGridOptions {
  /** VIX level at the snapshot (index points). Required: the model prices off it. */
  vix: number;
  /** Rate (0.037) and dividend (0.01), continuous. */
  rate?: number;
  dividend?: number;
  /** Surface (default the fitted SPY surface). */
  surface?: VolSurfaceParams;
  /** Moneyness bucket edges, fraction. Default [−0.10, −0.05, −0.02, 0, 0.02, 0.05, 0.10]. */
  moneynessEdges?: number[];
  /** Tenor bucket edges, days. Default [0, 7, 30, 60, 120]. */
  tenorEdges?: number[];
}

/** Price and IV error of the volatility model on `chain`, by moneyness and tenor. */
export function chainErrorGrid(
  chain: OptionChain,
  options: ChainErrorGridOptions,
): ChainErrorCell[] {
  const rate = options.rate ?? 0.037;
  const dividend = options.dividend ?? 0.01;
  const me = options.moneynessEdges ?? [-0.1, -0.05, -0.02, 0, 0.02, 0.05, 0.1];
  const te = options.tenorEdges ?? [0, 7, 30, 60, 120];
  const pct = (x: number) => `${x < 0 ? "−" : ""}${Math.abs(x * 100)}`;
  const cells: { cell: ChainErrorCell; p: number[]; r: number[]; v: number[] }[] = [];
  for (let i = 0; i + 1 < me.length; i++) {
    for (let j = 0; j + 1 < te.length; j++) {
      cells.push({
        cell: {
          moneyness: `${pct(me[i])}…${pct(me[i + 1])} %`,
          tenor: `${te[j] + (j > 0 ? 1 : 0)}–${te[j + 1]} d`,
          n: 0,
          priceError: NaN,
          relativeError: NaN,
          ivError: NaN,
          ivUnsolved: 0,
        },
        p: [],
        r: [],
        v: [],
      });
    }
  }
  const nT = te.length - 1;
  const o: OptionInputs = { call: true, spot: 0, strike: 0, years: 0, rate, dividend, vol: 0 };
  const vq: VolQuery = { vix: options.vix, spot: 0, strike: 0, years: 0, rate, dividend };
  for (const q of chain.quotes) {
    if (q.call ? q.strike < q.underlying : q.strike >= q.underlying) continue; // OTM only
    const m = q.strike / q.underlying - 1;
    const days = q.years * 365;
    const i = me.findIndex((e, k) => k + 1 < me.length && m >= e && m < me[k + 1]);
    const j = te.findIndex((e, k) => k + 1 < te.length && days > e && days <= te[k + 1]);
    if (i < 0 || j < 0) continue;
    const c = cells[i * nT + j];
    vq.spot = o.spot = q.underlying;
    vq.strike = o.strike = q.strike;
    vq.years = o.years = q.years;
    o.call = q.call;
    const model = surfaceVol(vq, options.surface);
    o.vol = model;
    const err = Math.abs(bsmPrice(o) - q.mid);
    c.cell.n++;
    c.p.push(err);
    c.r.push(err / q.mid);
    const iv = impliedVol(q.mid, o);
    if (iv === null) c.cell.ivUnsolved++;
    else c.v.push(100 * Math.abs(model - iv));
  }
  return cells.map(({ cell, p, r, v }) => ({
    ...cell,
    priceError: p.length ? quantile(p, 0.5) : NaN,
    relativeError: r.length ? quantile(r, 0.5) : NaN,
    ivError: v.length ? quantile(v, 0.5) : NaN,
  }));
}

/** Result of {@link volModelVsVix}. */
export interface VolModelVsVix {
  /** Dates (`YYYY-MM-DD`) where both series exist and 21 returns are available. */
  date: string[];
  /** VIX close (index points). */
  vix: Float64Array;
  /** The realised-volatility fallback: 100 × VIX_OVER_REALISED × σ_21d (index points). */
  fromRealised: Float64Array;
  /** The model's 30-day ATM IV of SPY at that VIX, in vol points. */
  atm30: Float64Array;
  /** Median of VIX / fromRealised (1 when the fallback is unbiased). */
  medianRatio: number;
  /** Median |VIX − fromRealised|, index points. */
  medianAbsError: number;
  /** Correlation of VIX and fromRealised. */
  correlation: number;
}

/**
 * VIX against the realised-volatility fallback and the model's 30-day ATM IV (see the module
 * docs). `closes` are the underlying's daily closes on `dates`; `vix` maps a date to the VIX
 * close (dates missing from it are skipped).
 */
export function volModelVsVix(
  dates: readonly string[],
  closes: ArrayLike<number>,
  vix: ReadonlyMap<string, number>,
  options: { window?: number; surface?: VolSurfaceParams } = {},
): VolModelVsVix {
  const w = options.window ?? 21;
  const d: string[] = [];
  const v: number[] = [];
  const fr: number[] = [];
  const atm: number[] = [];
  const vq: VolQuery = {
    vix: 0,
    spot: 100,
    strike: 100,
    years: 30 / 365,
    rate: 0.037,
    dividend: 0.01,
  };
  for (let i = w; i < dates.length; i++) {
    const x = vix.get(dates[i]);
    if (!(x !== undefined && x > 0)) continue;
    const rv = realisedVol(closes, i, { window: w });
    if (!(rv > 0)) continue;
    d.push(dates[i]);
    v.push(x);
    fr.push(100 * VIX_OVER_REALISED * rv);
    vq.vix = x;
    atm.push(100 * surfaceVol(vq, options.surface));
  }
  const n = v.length;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) {
    mx += v[i];
    my += fr[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (v[i] - mx) * (fr[i] - my);
    sxx += (v[i] - mx) ** 2;
    syy += (fr[i] - my) ** 2;
  }
  return {
    date: d,
    vix: Float64Array.from(v),
    fromRealised: Float64Array.from(fr),
    atm30: Float64Array.from(atm),
    medianRatio: n ? quantile(v.map((x, i) => x / fr[i]), 0.5) : NaN,
    medianAbsError: n ? quantile(v.map((x, i) => Math.abs(x - fr[i])), 0.5) : NaN,
    correlation: sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN,
  };
}
