/**
 * How well the pricer and the volatility model reproduce a real option chain.
 *
 * On the quotes within `maxMoneyness` of the money (`|K/S − 1| ≤ 0.05` by default) and
 * `minDays`–`maxDays` to expiry (2–60), it measures, in USD per share against the bid/ask mid:
 * - `sourceIv`: the BSM price at the quote's own (source-reported, e.g. Yahoo's) implied
 *   volatility — how consistent that column is with this pricer, rate, dividend and clock;
 * - `volModel`: the BSM price at the volatility model's IV ({@link surfaceVol}) for the given
 *   VIX level — the env's pricing error (null when no VIX level is given);
 * - `ivUnrecoveredShare`: the share of those quotes whose mid {@link impliedVol} cannot invert
 *   (below intrinsic, above the upper bound, or reachable only outside the vol bracket);
 * - `ivVsSource`: the absolute difference between the IV solved from the mid and the source
 *   IV, in vol points (percentage points), where both exist.
 *
 * @module
 */
import { bsmPrice, type OptionInputs } from "./bsm.ts";
import type { OptionChain } from "./chain.ts";
import { quantile } from "./fit.ts";
import { impliedVol } from "./implied_vol.ts";
import { surfaceVol, type VolQuery, type VolSurfaceParams } from "./vol_model.ts";

/** Options of {@link checkChain}. */
export interface ChainCheckOptions {
  /** Risk-free rate, continuous, fraction/yr. Default 0.037 (3-month T-bill, Feb 2026). */
  rate?: number;
  /** Dividend yield, continuous, fraction/yr. Default 0.01 (SPY, Feb 2026). */
  dividend?: number;
  /** VIX level (index points) at the snapshot; without it `volModel` is null. */
  vix?: number;
  /** Surface parameters (default the fitted SPY surface). */
  surface?: VolSurfaceParams;
  /** Max |K/S − 1|. Default 0.05. */
  maxMoneyness?: number;
  /** Min days to expiry (365-day years × 365). Default 2. */
  minDays?: number;
  /** Max days to expiry. Default 60. */
  maxDays?: number;
}

/** Median and 90th percentile of absolute errors. */
export interface ErrorSummary {
  /** Quotes measured. */
  n: number;
  /** Median absolute error. */
  median: number;
  /** 90th-percentile absolute error. */
  p90: number;
}

/** Result of {@link checkChain} (money in USD per share, vol in vol points). */
export interface ChainCheckResult {
  file: string;
  /** Snapshot, ISO UTC. */
  snapshot: string;
  /** Underlying at the snapshot (first quote's). */
  underlying: number;
  rate: number;
  dividend: number;
  /** VIX level used, or null. */
  vix: number | null;
  /** Data rows read. */
  rows: number;
  /** Rows skipped by reason. */
  skipped: Record<string, number>;
  /** Usable quotes after validation. */
  quotesValid: number;
  /** Quotes inside the moneyness and tenor window. */
  quotesUsed: number;
  /** BSM at the source IV vs mid, USD/share (quotes with a positive source IV). */
  sourceIv: ErrorSummary | null;
  /** BSM at the model IV vs mid, USD/share. */
  volModel: ErrorSummary | null;
  /** Share of used quotes whose IV could not be solved from the mid. */
  ivUnrecoveredShare: number;
  /** |IV(mid) − source IV| in vol points (where both exist). */
  ivVsSource: ErrorSummary | null;
}

function summary(v: number[]): ErrorSummary | null {
  return v.length === 0 ? null : { n: v.length, median: quantile(v, 0.5), p90: quantile(v, 0.9) };
}

/** Measure the pricer and the volatility model on a parsed chain (see the module docs). */
export function checkChain(chain: OptionChain, options: ChainCheckOptions = {}): ChainCheckResult {
  const rate = options.rate ?? 0.037;
  const dividend = options.dividend ?? 0.01;
  const maxM = options.maxMoneyness ?? 0.05;
  const minD = options.minDays ?? 2;
  const maxD = options.maxDays ?? 60;
  const o: OptionInputs = { call: true, spot: 0, strike: 0, years: 0, rate, dividend, vol: 0 };
  const vq: VolQuery = { vix: options.vix ?? NaN, spot: 0, strike: 0, years: 0, rate, dividend };
  const srcErr: number[] = [];
  const modErr: number[] = [];
  const ivDiff: number[] = [];
  let used = 0;
  let unrecovered = 0;
  for (const q of chain.quotes) {
    const days = q.years * 365;
    if (Math.abs(q.strike / q.underlying - 1) > maxM || days < minD || days > maxD) continue;
    used++;
    o.call = q.call;
    o.spot = q.underlying;
    o.strike = q.strike;
    o.years = q.years;
    if (q.sourceIv > 0) {
      o.vol = q.sourceIv;
      srcErr.push(Math.abs(bsmPrice(o) - q.mid));
    }
    if (options.vix !== undefined) {
      vq.spot = q.underlying;
      vq.strike = q.strike;
      vq.years = q.years;
      o.vol = surfaceVol(vq, options.surface);
      modErr.push(Math.abs(bsmPrice(o) - q.mid));
    }
    const iv = impliedVol(q.mid, o);
    if (iv === null) unrecovered++;
    else if (q.sourceIv > 0) ivDiff.push(100 * Math.abs(iv - q.sourceIv));
  }
  return {
    file: chain.file,
    snapshot: new Date(chain.snapshotMs).toISOString(),
    underlying: chain.quotes.length > 0 ? chain.quotes[0].underlying : NaN,
    rate,
    dividend,
    vix: options.vix ?? null,
    rows: chain.rows,
    skipped: { ...chain.skipped },
    quotesValid: chain.quotes.length,
    quotesUsed: used,
    sourceIv: summary(srcErr),
    volModel: summary(modErr),
    ivUnrecoveredShare: used > 0 ? unrecovered / used : NaN,
    ivVsSource: summary(ivDiff),
  };
}
