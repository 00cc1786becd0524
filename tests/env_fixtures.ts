/**
 * Test fixtures for the trading/env tests: a small seeded random-walk market (with open
 * interest and 8-hourly funding) and a minimal feature matrix with the columns the env reads.
 * Deliberately independent of lib/data and lib/features so these tests pin the env alone.
 */
import type { MarketData } from "../lib/data/market_data.ts";
import type { FeatureMatrix } from "../lib/features/feature_matrix.ts";
import type { Signals } from "../lib/env/signals.ts";
import { Rng } from "../lib/util/prng.ts";

export interface TestMarketOptions {
  bars?: number;
  seed?: number;
  /** Per-bar log-return volatility. */
  sigma?: number;
  /** Per-bar drift of log price. */
  drift?: number;
  startPrice?: number;
  /** Funding every this many bars (0 = no funding array). */
  fundingEvery?: number;
  /** Mean funding rate per settlement. */
  fundingMean?: number;
}

/** Seeded geometric random walk, 5-minute bars starting 2024-01-01. */
export function makeTestMarket(opts: TestMarketOptions = {}): MarketData {
  const n = opts.bars ?? 3000;
  const rng = new Rng(opts.seed ?? 1);
  const sigma = opts.sigma ?? 0.002;
  const drift = opts.drift ?? 0;
  const every = opts.fundingEvery ?? 96;
  const md: MarketData = {
    symbol: "TESTUSDT",
    interval: "5m",
    intervalMs: 300_000,
    time: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n),
    openInterest: new Float64Array(n),
    fundingRate: every > 0 ? new Float64Array(n).fill(NaN) : undefined,
  };
  let p = opts.startPrice ?? 100;
  let oi = 1e5;
  const t0 = Date.UTC(2024, 0, 1);
  for (let i = 0; i < n; i++) {
    const o = p;
    p = p * Math.exp(drift + sigma * rng.normal());
    md.time[i] = t0 + i * 300_000;
    md.open[i] = o;
    md.close[i] = p;
    md.high[i] = Math.max(o, p) * (1 + sigma * 0.5 * Math.abs(rng.normal()));
    md.low[i] = Math.min(o, p) * (1 - sigma * 0.5 * Math.abs(rng.normal()));
    md.volume[i] = 100 * Math.exp(0.3 * rng.normal());
    oi *= Math.exp(0.001 * rng.normal());
    md.openInterest![i] = oi;
    if (every > 0 && i % every === every - 1) {
      md.fundingRate![i] = (opts.fundingMean ?? 0.0001) + 0.0002 * rng.normal();
    }
  }
  return md;
}

/** Market from explicit closes (open = previous close, high/low = max/min of open, close). */
export function marketFromCloses(closes: number[], opts: { funding?: number[] } = {}): MarketData {
  const n = closes.length;
  const md: MarketData = {
    symbol: "TESTUSDT",
    interval: "5m",
    intervalMs: 300_000,
    time: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: Float64Array.from(closes),
    volume: new Float64Array(n).fill(100),
    fundingRate: opts.funding ? Float64Array.from(opts.funding) : undefined,
  };
  for (let i = 0; i < n; i++) {
    md.time[i] = Date.UTC(2024, 0, 1) + i * 300_000;
    md.open[i] = i === 0 ? closes[0] : closes[i - 1];
    md.high[i] = Math.max(md.open[i], closes[i]);
    md.low[i] = Math.min(md.open[i], closes[i]);
  }
  return md;
}

export const TEST_FEATURE_NAMES = [
  "return_20",
  "atr_14",
  "natr",
  "rsi_14",
  "bb_position",
  "volume_ratio",
  "oi_change_20",
  "oi_price_divergence_20",
  "funding_rate",
];

/**
 * Simple causal versions of the env's features (SMA-based ATR and RSI; natr = atr/close as
 * a fraction; funding_rate = last settled rate). Rows before 20 are NaN / invalid.
 */
export function makeTestFeatures(md: MarketData): FeatureMatrix {
  const n = md.close.length;
  const cols = TEST_FEATURE_NAMES.length;
  const data = new Float64Array(n * cols).fill(NaN);
  const valid = new Uint8Array(n);
  const c = md.close;
  const W = 20;
  let lastFunding = 0;
  for (let i = 0; i < n; i++) {
    const fr = md.fundingRate?.[i];
    if (fr !== undefined && fr === fr) lastFunding = fr;
    if (i < W) continue;
    let tr = 0;
    let gain = 0;
    let loss = 0;
    for (let k = i - 13; k <= i; k++) {
      const prev = c[k - 1];
      tr += Math.max(
        md.high[k] - md.low[k],
        Math.abs(md.high[k] - prev),
        Math.abs(md.low[k] - prev),
      );
      const d = c[k] - prev;
      if (d > 0) gain += d;
      else loss -= d;
    }
    const atr = tr / 14;
    let s = 0;
    let s2 = 0;
    let vs = 0;
    for (let k = i - W + 1; k <= i; k++) {
      s += c[k];
      s2 += c[k] * c[k];
      vs += md.volume[k];
    }
    const mean = s / W;
    const sd = Math.sqrt(Math.max(0, s2 / W - mean * mean));
    const ret = c[i] / c[i - W] - 1;
    const oiCh = md.openInterest ? md.openInterest[i] / md.openInterest[i - W] - 1 : 0;
    const row = [
      ret,
      atr,
      atr / c[i],
      loss === 0 ? (gain === 0 ? 50 : 100) : 100 - 100 / (1 + gain / loss),
      sd > 0 ? (c[i] - (mean - 2 * sd)) / (4 * sd) : 0.5,
      vs > 0 ? md.volume[i] / (vs / W) : 1,
      oiCh,
      oiCh - ret,
      lastFunding,
    ];
    data.set(row, i * cols);
    valid[i] = 1;
  }
  return {
    names: [...TEST_FEATURE_NAMES],
    rows: n,
    cols,
    data,
    time: md.time.slice(),
    firstValidRow: Math.min(W, n),
    valid,
    available: {
      openInterest: md.openInterest !== undefined,
      funding: md.fundingRate !== undefined,
    },
  };
}

/** Signals available from bar `from` on: a noisy up/down call with confidence and target. */
export function makeTestSignals(md: MarketData, from: number, seed = 3): Signals {
  const n = md.close.length;
  const rng = new Rng(seed);
  const s: Signals = {
    time: md.time.slice(),
    signal: new Int8Array(n).fill(-1),
    confidence: new Float64Array(n).fill(NaN),
    target: new Float64Array(n).fill(NaN),
    available: new Uint8Array(n),
    horizon: 12,
  };
  for (let i = from; i < n; i++) {
    s.signal[i] = rng.int(3);
    s.confidence[i] = 0.34 + 0.6 * rng.next();
    s.target[i] = (s.signal[i] - 1) * 0.001;
    s.available[i] = 1;
  }
  return s;
}

/**
 * A feature matrix with the same values on every row (overridable per name) and the first
 * `firstValidRow` rows NaN. Default ATR = 1 % of the first close, natr = atr / close.
 */
export function constantFeatures(
  md: MarketData,
  opts: { firstValidRow?: number; values?: Record<string, number> } = {},
): FeatureMatrix {
  const n = md.close.length;
  const cols = TEST_FEATURE_NAMES.length;
  const first = opts.firstValidRow ?? 0;
  const atr = opts.values?.atr_14 ?? md.close[0] * 0.01;
  const data = new Float64Array(n * cols).fill(NaN);
  const valid = new Uint8Array(n);
  for (let i = first; i < n; i++) {
    const base: Record<string, number> = {
      return_20: 0,
      atr_14: atr,
      natr: atr / md.close[i],
      rsi_14: 50,
      bb_position: 0.5,
      volume_ratio: 1,
      oi_change_20: 0,
      oi_price_divergence_20: 0,
      funding_rate: 0,
      ...opts.values,
    };
    TEST_FEATURE_NAMES.forEach((name, j) => (data[i * cols + j] = base[name]));
    valid[i] = 1;
  }
  return {
    names: [...TEST_FEATURE_NAMES],
    rows: n,
    cols,
    data,
    time: md.time.slice(),
    firstValidRow: first,
    valid,
    available: { openInterest: false, funding: md.fundingRate !== undefined },
  };
}
