/**
 * As-of alignment of open interest and funding onto bars, without look-ahead.
 *
 * ## Conventions (checked against `../shared/data/`)
 *
 * - **Bars** are stamped with their OPEN time; a bar covers `[open, open + interval)` and its
 *   close is at `open + interval`. A decision taken "at bar t" happens at that close.
 * - **Open interest** (Binance `metrics` archive): `create_time` is the instant of the
 *   snapshot. In the archive every row sits exactly on a 5-minute boundary (all 114,041 rows
 *   of the 2022 ETHUSDT sample end in `:00` seconds on a multiple of 5 minutes) and each
 *   daily file runs `00:00:00 … 23:55:00`, so a row stamped `T` describes the state at `T`
 *   and cannot be known before `T`. Rule: a value stamped `T` is visible from the first bar
 *   whose close is ≥ `T + delayMs` (`delayMs` default 0; pass e.g. 300,000 to be
 *   conservative about publication lag). With 5-minute bars the 08:00 snapshot therefore
 *   lands on the bar opening at 07:55 (closing at 08:00). Values are forward-filled while
 *   `close − (T + delayMs) ≤ maxStalenessMs`; beyond that, and before the first value, NaN.
 * - **Funding** (Binance `fundingRate` archive, `calc_time` = settlement instant, 00/08/16 UTC
 *   for 8-hour symbols; the sample file confirms settlements at exactly 00:00, 08:00, 16:00):
 *   a settlement at `T` (rounded to the nearest `fundingRoundMs`, default 1 s, to absorb the
 *   few-ms jitter of `calc_time`) is attached to the bar whose `(open, close]` contains `T`,
 *   i.e. the bar that ENDS at the settlement (07:55–08:00 for 08:00 with 5-minute bars): a
 *   position held through that bar's close pays it. All other bars hold NaN. With bars longer
 *   than the funding period several settlements fall in one bar and their rates are summed
 *   (the total paid per unit notional). A settlement that falls into a data gap is dropped
 *   and counted.
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";
import type { MarketData } from "./market_data.ts";

/** A time-stamped series (UTC epoch ms, non-decreasing) of one value. */
export interface TimeSeries {
  /** Stamp of each value, UTC epoch ms (OI: snapshot instant; funding: settlement instant). */
  time: Float64Array;
  /** The values (OI in contracts/base units; funding rate as a fraction per settlement). */
  value: Float64Array;
}

/** Options of {@link alignAsOf}. */
export interface AlignOptions {
  /** Extra delay before an OI value counts as known, ms. Default 0. */
  oiDelayMs?: number;
  /**
   * Maximum age of a forward-filled OI value at a bar's close, ms. Default: 3 × the larger
   * of the bar interval and the OI series' typical spacing (15 min for 5-minute data).
   */
  oiMaxStalenessMs?: number;
  /** Funding time rounding, ms. Default 1000. */
  fundingRoundMs?: number;
}

/** What {@link alignAsOf} did, for reports and tests. */
export interface AlignSummary {
  /** Bars with a finite open interest. */
  oiBars: number;
  /** Funding settlements attached to a bar. */
  fundingAttached: number;
  /** Funding settlements outside the bars or inside a gap (dropped). */
  fundingDropped: number;
}

/**
 * Join open interest and/or funding onto bars as-of (see the module documentation for the
 * exact rules). Returns a new {@link MarketData} sharing the OHLCV arrays; a source that is
 * not given leaves the corresponding field as it was (possibly absent).
 */
export function alignAsOf(
  md: MarketData,
  sources: { openInterest?: TimeSeries; funding?: TimeSeries },
  options: AlignOptions = {},
): MarketData {
  return alignAsOfWithSummary(md, sources, options).market;
}

/** {@link alignAsOf} plus an {@link AlignSummary}. */
export function alignAsOfWithSummary(
  md: MarketData,
  sources: { openInterest?: TimeSeries; funding?: TimeSeries },
  options: AlignOptions = {},
): { market: MarketData; summary: AlignSummary } {
  const out: MarketData = { ...md };
  const summary: AlignSummary = { oiBars: 0, fundingAttached: 0, fundingDropped: 0 };
  if (sources.openInterest) {
    out.openInterest = alignOpenInterest(md.time, md.intervalMs, sources.openInterest, options);
    for (const v of out.openInterest) if (v === v) summary.oiBars++;
  }
  if (sources.funding) {
    const r = alignFunding(md.time, md.intervalMs, sources.funding, options);
    out.fundingRate = r.rate;
    summary.fundingAttached = r.attached;
    summary.fundingDropped = r.dropped;
  }
  return { market: out, summary };
}

/**
 * Open interest per bar: the last finite value stamped at or before the bar's close
 * (`time[i] + intervalMs`) minus `oiDelayMs`, if no older than `oiMaxStalenessMs`; else NaN.
 */
export function alignOpenInterest(
  barTime: Float64Array,
  intervalMs: number,
  series: TimeSeries,
  options: AlignOptions = {},
): Float64Array {
  checkSorted(series, "openInterest");
  const delay = options.oiDelayMs ?? 0;
  const spacing = typicalSpacing(series.time);
  const maxStale = options.oiMaxStalenessMs ?? 3 * Math.max(intervalMs, spacing);
  if (!(maxStale >= 0)) {
    throw new ConfigError(`oiMaxStalenessMs must be ≥ 0, got ${maxStale}`, {
      parameter: "oiMaxStalenessMs",
    });
  }
  const n = barTime.length;
  const out = new Float64Array(n).fill(NaN);
  const st = series.time;
  const sv = series.value;
  let j = 0;
  let lastT = NaN;
  let lastV = NaN;
  for (let i = 0; i < n; i++) {
    const close = barTime[i] + intervalMs;
    while (j < st.length && st[j] + delay <= close) {
      if (Number.isFinite(sv[j])) {
        lastT = st[j] + delay;
        lastV = sv[j];
      }
      j++;
    }
    if (lastT === lastT && close - lastT <= maxStale) out[i] = lastV;
  }
  return out;
}

/**
 * Funding rate per bar: the settlement(s) with time in `(open, open + intervalMs]`, summed;
 * NaN for bars without a settlement.
 */
export function alignFunding(
  barTime: Float64Array,
  intervalMs: number,
  series: TimeSeries,
  options: AlignOptions = {},
): { rate: Float64Array; attached: number; dropped: number } {
  checkSorted(series, "funding");
  const round = options.fundingRoundMs ?? 1000;
  const n = barTime.length;
  const rate = new Float64Array(n).fill(NaN);
  let attached = 0;
  let dropped = 0;
  let i = 0;
  for (let k = 0; k < series.time.length; k++) {
    const v = series.value[k];
    if (!Number.isFinite(v)) continue;
    const t = round > 0 ? Math.round(series.time[k] / round) * round : series.time[k];
    // Advance to the first bar whose close ≥ t.
    while (i < n && barTime[i] + intervalMs < t) i++;
    if (i < n && barTime[i] < t) {
      rate[i] = rate[i] === rate[i] ? rate[i] + v : v;
      attached++;
    } else dropped++;
  }
  return { rate, attached, dropped };
}

function checkSorted(s: TimeSeries, name: string): void {
  if (s.time.length !== s.value.length) {
    throw new ConfigError(`${name} series: time and value lengths differ`, { parameter: name });
  }
  for (let i = 1; i < s.time.length; i++) {
    if (s.time[i] < s.time[i - 1]) {
      throw new ConfigError(`${name} series is not sorted by time (index ${i})`, {
        parameter: name,
      }, "tidy the table first (tidyTable)");
    }
  }
}

function typicalSpacing(t: Float64Array): number {
  if (t.length < 2) return 0;
  const d: number[] = [];
  const step = Math.max(1, Math.floor(t.length / 1000));
  for (let i = 1; i < t.length; i += step) if (t[i] > t[i - 1]) d.push(t[i] - t[i - 1]);
  if (d.length === 0) return 0;
  d.sort((a, b) => a - b);
  return d[Math.floor(d.length / 2)];
}

/** Availability of the optional inputs of a market. */
export interface DataAvailability {
  /** The market has an open-interest column. */
  openInterest: boolean;
  /** Fraction (0–1) of bars whose open interest is known (finite). */
  openInterestCoverage: number;
  /** The market has a funding column. */
  funding: boolean;
  /** Number of bars carrying a funding settlement. */
  fundingSettlements: number;
}

/**
 * What optional data a market carries: downstream code (features, env) uses this to fall
 * back to neutral values when OI or funding is absent, instead of reading NaN as data.
 */
export function dataAvailability(md: MarketData): DataAvailability {
  let oi = 0;
  if (md.openInterest) { for (const v of md.openInterest) if (v === v) oi++; }
  let f = 0;
  if (md.fundingRate) { for (const v of md.fundingRate) if (v === v) f++; }
  const n = md.time.length;
  return {
    openInterest: md.openInterest !== undefined && oi > 0,
    openInterestCoverage: n > 0 ? oi / n : 0,
    funding: md.fundingRate !== undefined && f > 0,
    fundingSettlements: f,
  };
}
