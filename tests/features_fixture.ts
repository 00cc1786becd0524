/**
 * Small hand-made market data for the features/signals tests (no dependency on lib/data's
 * generator or on real data).
 *
 * @module
 */
import type { MarketData } from "@lib/data/market_data.ts";
import { Rng } from "@lib/util/mod.ts";

/** Options of {@link randomWalkMarket}. */
export interface FixtureOptions {
  seed?: number;
  withOi?: boolean;
  withFunding?: boolean;
  /** Bars between funding settlements (default 96 = 8 h of 5-minute bars). */
  fundingEvery?: number;
}

/** A seeded geometric random walk with OHLCV, OI and funding every `fundingEvery` bars. */
export function randomWalkMarket(n: number, options: FixtureOptions = {}): MarketData {
  const rng = new Rng(options.seed ?? 1);
  const time = new Float64Array(n);
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  const volume = new Float64Array(n);
  const oi = new Float64Array(n);
  const fr = new Float64Array(n).fill(NaN);
  let p = 100;
  let o = 5000;
  const every = options.fundingEvery ?? 96;
  for (let i = 0; i < n; i++) {
    time[i] = Date.UTC(2024, 0, 1) + i * 300_000;
    open[i] = p;
    p *= Math.exp(0.003 * rng.normal());
    close[i] = p;
    high[i] = Math.max(open[i], close[i]) * (1 + 0.001 * Math.abs(rng.normal()));
    low[i] = Math.min(open[i], close[i]) * (1 - 0.001 * Math.abs(rng.normal()));
    volume[i] = 10 + 5 * rng.next();
    o *= Math.exp(0.002 * rng.normal());
    oi[i] = o;
    if (i % every === every - 1) fr[i] = 0.0001 * rng.normal();
  }
  return {
    symbol: "TESTUSDT",
    interval: "5m",
    intervalMs: 300_000,
    time,
    open,
    high,
    low,
    close,
    volume,
    openInterest: options.withOi === false ? undefined : oi,
    fundingRate: options.withFunding === false ? undefined : fr,
  };
}

/** A deep copy of every column. */
export function cloneMarket(md: MarketData): MarketData {
  return {
    ...md,
    time: md.time.slice(),
    open: md.open.slice(),
    high: md.high.slice(),
    low: md.low.slice(),
    close: md.close.slice(),
    volume: md.volume.slice(),
    openInterest: md.openInterest?.slice(),
    fundingRate: md.fundingRate?.slice(),
    filled: md.filled?.slice(),
  };
}
