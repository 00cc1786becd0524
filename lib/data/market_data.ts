/**
 * The columnar market data every module reads.
 *
 * @module
 */

/**
 * Columnar OHLCV bars with optional open interest and funding, all `Float64Array` of one
 * length. Times are UTC epoch milliseconds of each bar's OPEN, strictly increasing.
 */
export interface MarketData {
  /** Instrument, e.g. `"BTCUSDT"`. */
  symbol: string;
  /** Bar interval, e.g. `"5m"`. */
  interval: string;
  /** Bar interval in milliseconds. */
  intervalMs: number;
  /** Bar open time, UTC epoch ms. */
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  /** Base-asset volume traded in the bar. */
  volume: Float64Array;
  /**
   * Open interest in contracts (base units), as-of aligned: the last value stamped at or
   * before the bar's close, forward-filled up to a maximum staleness; NaN where unknown.
   * Absent when the source has no open interest.
   */
  openInterest?: Float64Array;
  /**
   * Funding rate (fraction per settlement, 0.0001 = 0.01 %) settled INSIDE this bar, i.e. at a
   * settlement time in (open, close]; NaN for bars with no settlement. A long pays
   * `notional × rate` when the rate is positive. Absent when the source has no funding.
   */
  fundingRate?: Float64Array;
  /**
   * Funding settlement interval in ms (e.g. 28,800,000 for 8-hourly settlements), detected
   * from the settlement times by the loader; absent when unknown or without funding.
   */
  fundingIntervalMs?: number;
  /** 1 where the bar was synthesised to fill a gap (flat bar, zero volume), else 0. */
  filled?: Uint8Array;
}

/** Number of bars. */
export function barCount(md: MarketData): number {
  return md.time.length;
}

/** A zero-copy view of bars `[start, end)`. */
export function sliceMarketData(md: MarketData, start: number, end: number): MarketData {
  const s = (a: Float64Array) => a.subarray(start, end);
  return {
    symbol: md.symbol,
    interval: md.interval,
    intervalMs: md.intervalMs,
    time: s(md.time),
    open: s(md.open),
    high: s(md.high),
    low: s(md.low),
    close: s(md.close),
    volume: s(md.volume),
    openInterest: md.openInterest ? s(md.openInterest) : undefined,
    fundingRate: md.fundingRate ? s(md.fundingRate) : undefined,
    ...(md.fundingIntervalMs !== undefined ? { fundingIntervalMs: md.fundingIntervalMs } : {}),
    filled: md.filled ? md.filled.subarray(start, end) : undefined,
  };
}
