/**
 * The market features of the observation, computed causally from {@link MarketData}.
 *
 * Every feature at bar `i` reads only bars `≤ i` (tests perturb the future to prove it).
 * Units are fixed and documented in {@link FEATURE_INFO}: returns, `natr`, funding and the OI
 * features are FRACTIONS (0.01 = 1 %), never percent; `rsi_14` is 0–100 as in the literature.
 *
 * Policies (documented, tested):
 * - Warm-up: rows before every feature is defined are entirely NaN and `valid = 0`;
 *   `firstValidRow` is the first valid row. Never zero-filled.
 * - Constant price: `atr_14 = natr = 0`, `rsi_14 = 50`, `bb_position = 0.5`, returns 0.
 * - Zero volume over the 20-bar window: `volume_ratio = 1` (neutral).
 * - Open interest absent (or never known): `oi_change_20 = oi_price_divergence_20 = 0` and
 *   `available.openInterest = false`. Where OI is unknown (NaN) at `i` or `i − 20` the two OI
 *   features take the neutral value 0 at that row (the row stays valid).
 * - Funding absent: `funding_rate = 0` and `available.funding = false`. Before the first
 *   settlement in the data, `funding_rate = 0` (neutral).
 * - Non-finite or non-positive OHLC / non-finite or negative volume: `nanPolicy: "error"`
 *   (default) throws a {@link DataError} naming the bar and column; `"invalidate"` marks the
 *   bad bars invalid (all-NaN rows) and restarts every indicator after them (each stretch of
 *   good bars has its own warm-up), so NaN never reaches a row with `valid = 1`.
 *
 * @module
 */

import type { MarketData } from "../data/mod.ts";
import { ConfigError, DataError } from "../util/mod.ts";
import type { FeatureMatrix } from "./feature_matrix.ts";
import { type FeatureFamily, OPTIONAL_FAMILIES } from "./families.ts";
import {
  atrWilder,
  bollingerPercentB,
  ema,
  macdHistogram,
  pctChange,
  realizedVol,
  rsiWilder,
} from "./indicators.ts";

/** Description of one feature column. */
export interface FeatureInfo {
  /** Column name in the {@link FeatureMatrix}. */
  name: string;
  /** Unit, e.g. `"fraction"`, `"price"`, `"0-100"`. */
  unit: string;
  /** What it is, precisely. */
  description: string;
  /** Index of the first bar at which it is defined (on a clean series). */
  warmup: number;
}

/** The nine features the futures environment reads by name (the specification's state). */
export const REQUIRED_FEATURES: readonly string[] = [
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

/** Every feature column, in matrix order (required ones first, then extras). */
export const FEATURE_INFO: readonly FeatureInfo[] = [
  {
    name: "return_20",
    unit: "fraction",
    description: "close[i]/close[i−20] − 1",
    warmup: 20,
  },
  {
    name: "atr_14",
    unit: "price",
    description: "Wilder ATR(14) of true range, in quote-currency price units",
    warmup: 14,
  },
  {
    name: "natr",
    unit: "fraction",
    description: "atr_14 / close (0.01 = 1 %; NOT TA-Lib's percent NATR)",
    warmup: 14,
  },
  {
    name: "rsi_14",
    unit: "0-100",
    description: "Wilder RSI(14); 50 when the window has no price change",
    warmup: 14,
  },
  {
    name: "bb_position",
    unit: "unitless",
    description:
      "Bollinger %B, bands SMA(20) ± 2·σ(20, population): 0 lower, 1 upper; 0.5 if width 0",
    warmup: 19,
  },
  {
    name: "volume_ratio",
    unit: "ratio",
    description: "volume[i] / mean(volume[i−19..i]); 1 when that mean is 0",
    warmup: 19,
  },
  {
    name: "oi_change_20",
    unit: "fraction",
    description: "OI[i]/OI[i−20] − 1; 0 where OI is unknown at i or i−20 or absent",
    warmup: 20,
  },
  {
    name: "oi_price_divergence_20",
    unit: "fraction",
    description: "oi_change_20 − return_20 (OI growth in excess of price growth over 20 bars); " +
      "0 where OI is unknown",
    warmup: 20,
  },
  {
    name: "funding_rate",
    unit: "fraction per settlement",
    description:
      "last funding rate settled at or before bar i's close (forward-filled); 0 before " +
      "the first settlement or when funding is absent",
    warmup: 0,
  },
  {
    name: "return_1",
    unit: "fraction",
    description: "close[i]/close[i−1] − 1 (last bar's return)",
    warmup: 1,
  },
  {
    name: "return_5",
    unit: "fraction",
    description: "close[i]/close[i−5] − 1",
    warmup: 5,
  },
  {
    name: "realized_vol_20",
    unit: "fraction per bar",
    description: "population std of the last 20 one-bar log returns (not annualised)",
    warmup: 20,
  },
  {
    name: "macd_hist_norm",
    unit: "fraction",
    description: "MACD(12,26,9) histogram (EMA-based) / close",
    warmup: 33,
  },
  {
    name: "ema_slope_20",
    unit: "fraction per bar",
    description: "EMA20[i]/EMA20[i−1] − 1",
    warmup: 20,
  },
];

/** Names of all feature columns, in matrix order. */
export const FEATURE_NAMES: readonly string[] = FEATURE_INFO.map((f) => f.name);

/** Bars of warm-up before every feature is defined on a clean series (index of first valid row). */
export const FEATURE_WARMUP: number = Math.max(...FEATURE_INFO.map((f) => f.warmup));

/** Options of {@link computeFeatures}. */
export interface FeatureOptions {
  /**
   * What to do with a non-finite/non-positive price or a non-finite/negative volume:
   * `"error"` (default) throws a DataError; `"invalidate"` marks those bars invalid and
   * restarts the indicators after them.
   */
  nanPolicy?: "error" | "invalidate";
  /**
   * Optional families to leave out (`--features -oi`): their columns hold the neutral 0 and
   * `available` says false, as if the data had none (see `families.ts`). Default none.
   */
  exclude?: readonly FeatureFamily[];
}

const PRICE_COLS = ["open", "high", "low", "close"] as const;

type BarColumn = "open" | "high" | "low" | "close" | "volume";

function badBar(md: MarketData, i: number): BarColumn | null {
  for (const c of PRICE_COLS) {
    const v = md[c][i];
    if (!Number.isFinite(v) || v <= 0) return c;
  }
  const v = md.volume[i];
  if (!Number.isFinite(v) || v < 0) return "volume";
  return null;
}

/**
 * Compute the feature matrix of `md` (see {@link FEATURE_INFO} for columns and units).
 *
 * @throws DataError if the series is shorter than `FEATURE_WARMUP + 1` bars, columns have
 *   different lengths, or (with `nanPolicy: "error"`) a bar has a bad price/volume.
 */
export function computeFeatures(md: MarketData, options: FeatureOptions = {}): FeatureMatrix {
  const policy = options.nanPolicy ?? "error";
  if (policy !== "error" && policy !== "invalidate") {
    throw new DataError(
      `unknown nanPolicy "${policy}"`,
      { parameter: "nanPolicy" },
      'use "error" or "invalidate"',
    );
  }
  const exclude = new Set(options.exclude ?? []);
  for (const f of exclude) {
    if (!OPTIONAL_FAMILIES.includes(f)) {
      throw new ConfigError(`cannot exclude feature family "${f}"`, {
        parameter: "exclude",
      }, `only ${OPTIONAL_FAMILIES.join(", ")} can be excluded`);
    }
  }
  const n = md.time.length;
  for (const c of ["open", "high", "low", "close", "volume"] as const) {
    if (md[c].length !== n) {
      throw new DataError(`column ${c} has ${md[c].length} values, time has ${n}`, { column: c });
    }
  }
  if (md.openInterest && md.openInterest.length !== n) {
    throw new DataError(`openInterest has ${md.openInterest.length} values, time has ${n}`, {
      column: "openInterest",
    });
  }
  if (md.fundingRate && md.fundingRate.length !== n) {
    throw new DataError(`fundingRate has ${md.fundingRate.length} values, time has ${n}`, {
      column: "fundingRate",
    });
  }
  if (n < FEATURE_WARMUP + 1) {
    throw new DataError(
      `${md.symbol} ${md.interval}: ${n} bars is shorter than the feature warm-up (${FEATURE_WARMUP} bars)`,
      { parameter: "md" },
      `provide at least ${FEATURE_WARMUP + 1} bars (more for any useful valid rows)`,
    );
  }

  // Stretches of good bars.
  const segments: [number, number][] = [];
  let s = -1;
  for (let i = 0; i < n; i++) {
    const bad = badBar(md, i);
    if (bad !== null) {
      if (policy === "error") {
        throw new DataError(
          `${md.symbol} ${md.interval}: bar ${i} (time ${
            new Date(md.time[i]).toISOString()
          }) has ` +
            `${bad} = ${md[bad][i]}`,
          { row: i + 1, column: bad },
          "fill or drop the bad bars (the data loader fills gaps with flat bars), or pass " +
            'nanPolicy: "invalidate" to mark them invalid',
        );
      }
      if (s >= 0) segments.push([s, i]);
      s = -1;
    } else if (s < 0) s = i;
  }
  if (s >= 0) segments.push([s, n]);

  const cols = FEATURE_NAMES.length;
  const data = new Float64Array(n * cols).fill(NaN);
  const col: Record<string, Float64Array> = {};
  for (const name of FEATURE_NAMES) col[name] = new Float64Array(n).fill(NaN);

  for (const [a, b] of segments) computeSegment(md, a, b, col);

  // Open interest (independent of price stretches; neutral 0 where unknown).
  const oi = exclude.has("oi") ? undefined : md.openInterest;
  let oiAvailable = false;
  if (oi) {
    for (let i = 0; i < n; i++) {
      if (Number.isFinite(oi[i]) && oi[i] > 0) {
        oiAvailable = true;
        break;
      }
    }
  }
  const ret20 = col["return_20"];
  const oiCh = col["oi_change_20"];
  const oiDiv = col["oi_price_divergence_20"];
  for (let i = 0; i < n; i++) {
    let ch = NaN;
    if (oiAvailable && i >= 20) {
      const a = oi![i];
      const b = oi![i - 20];
      if (Number.isFinite(a) && Number.isFinite(b) && a > 0 && b > 0) ch = a / b - 1;
    }
    if (Number.isFinite(ch)) {
      oiCh[i] = ch;
      oiDiv[i] = ch - ret20[i]; // NaN during the price warm-up, like return_20
    } else {
      oiCh[i] = 0;
      oiDiv[i] = Number.isFinite(ret20[i]) ? 0 : NaN;
    }
    if (!Number.isFinite(ret20[i])) oiCh[i] = NaN; // same warm-up as return_20
  }

  // Funding: forward-fill the last settled rate; 0 before the first settlement.
  const fr = exclude.has("funding") ? undefined : md.fundingRate;
  let fundingAvailable = false;
  const fcol = col["funding_rate"];
  let last = 0;
  for (let i = 0; i < n; i++) {
    if (fr && Number.isFinite(fr[i])) {
      last = fr[i];
      fundingAvailable = true;
    }
    fcol[i] = last;
  }

  // Assemble row-major; a row with any non-finite value is wholly NaN and invalid.
  const valid = new Uint8Array(n);
  let firstValidRow = n;
  const arrays = FEATURE_NAMES.map((name) => col[name]);
  for (let i = 0; i < n; i++) {
    let ok = badBar(md, i) === null;
    for (let j = 0; j < cols && ok; j++) if (!Number.isFinite(arrays[j][i])) ok = false;
    if (!ok) continue;
    valid[i] = 1;
    if (firstValidRow === n) firstValidRow = i;
    const o = i * cols;
    for (let j = 0; j < cols; j++) data[o + j] = arrays[j][i];
  }

  return {
    names: [...FEATURE_NAMES],
    rows: n,
    cols,
    data,
    time: md.time,
    firstValidRow,
    valid,
    available: { openInterest: oiAvailable, funding: fundingAvailable },
    ...(exclude.size ? { excluded: [...exclude].sort() } : {}),
  };
}

/** Price-derived features on the good stretch `[a, b)`, written into `col` rows `a..b−1`. */
function computeSegment(
  md: MarketData,
  a: number,
  b: number,
  col: Record<string, Float64Array>,
): void {
  const close = md.close.subarray(a, b);
  const high = md.high.subarray(a, b);
  const low = md.low.subarray(a, b);
  const volume = md.volume.subarray(a, b);
  const m = b - a;
  const put = (name: string, v: Float64Array) => col[name].set(v, a);

  put("return_20", pctChange(close, 20));
  const atr = atrWilder(high, low, close, 14);
  put("atr_14", atr);
  const natr = new Float64Array(m);
  for (let i = 0; i < m; i++) natr[i] = atr[i] / close[i];
  put("natr", natr);
  put("rsi_14", rsiWilder(close, 14));
  put("bb_position", bollingerPercentB(close, 20, 2));

  const vr = new Float64Array(m).fill(NaN);
  for (let i = 19; i < m; i++) {
    let sum = 0;
    for (let k = i - 19; k <= i; k++) sum += volume[k];
    const mean = sum / 20;
    vr[i] = mean > 0 ? volume[i] / mean : 1;
  }
  put("volume_ratio", vr);

  put("return_1", pctChange(close, 1));
  put("return_5", pctChange(close, 5));
  put("realized_vol_20", realizedVol(close, 20));
  const hist = macdHistogram(close, 12, 26, 9);
  for (let i = 0; i < m; i++) hist[i] /= close[i];
  put("macd_hist_norm", hist);
  const e = ema(close, 20);
  const slope = new Float64Array(m).fill(NaN);
  for (let i = 20; i < m; i++) slope[i] = e[i] / e[i - 1] - 1;
  put("ema_slope_20", slope);
}
