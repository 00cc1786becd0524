/**
 * Incremental features for a live bar stream: one closed bar in, one feature row out, equal
 * (bit for bit) to row `i` of the batch `computeFeatures` of `lib/features` on the same bars.
 *
 * How it stays identical: the indicators come from the same `technicalindicators` classes
 * the batch path calls (`AverageGain`/`AverageLoss` for Wilder RSI, `ATR`, `BollingerBands`,
 * `MACD` with EMA oscillator and signal, `EMA`), fed one value at a time through their
 * `nextValue` — the very generator their batch `calculate` runs over an array — with the same
 * periods (14, 20 ± 2σ, 12/26/9, 20). The hand-written ones (returns, realised volatility,
 * volume ratio, OI change, forward-filled funding) repeat the batch arithmetic in the same
 * order over ring buffers, so the floating-point results are identical, not just close. The
 * equality test in `tests/live_incremental_features_test.ts` holds both paths to exact
 * equality over thousands of bars (with OI and funding, with bad bars, without OI), so a change
 * of a period or a formula in `lib/features/features.ts` that is not mirrored here fails it.
 *
 * Policies are the batch ones: warm-up rows are all NaN and invalid; with
 * `nanPolicy: "invalidate"` a bad bar (non-finite/non-positive price, non-finite/negative
 * volume) yields an invalid NaN row and restarts every price indicator after it, while the OI
 * features keep using the bar 20 back and funding keeps forward-filling, exactly as in batch.
 *
 * @module
 */
import * as ti from "technicalindicators";
import { FEATURE_NAMES } from "../features/mod.ts";
import { DataError } from "../util/mod.ts";

/** One closed bar as the live feed delivers it. */
export interface FeatureBar {
  /** Bar open time, UTC epoch ms. */
  time: number;
  /** Open price (quote currency). */
  open: number;
  /** High price (quote currency). */
  high: number;
  /** Low price (quote currency). */
  low: number;
  /** Close price (quote currency). */
  close: number;
  /** Base-asset volume. */
  volume: number;
  /** Open interest (contracts), NaN/absent when unknown. */
  openInterest?: number;
  /** Funding rate settled inside this bar (fraction), NaN/absent when none. */
  fundingRate?: number;
}

/** The row produced for one bar. */
export interface FeatureStep {
  /** Index of the bar in the stream (0-based). */
  index: number;
  /**
   * Feature values in {@link FEATURE_NAMES} order. The SAME array is overwritten by the next
   * `push` (no per-bar allocation): copy it to keep it.
   */
  row: Float64Array;
  /** True when every feature is defined (past warm-up, good bar). */
  valid: boolean;
}

/** Options of {@link IncrementalFeatures}. */
export interface IncrementalFeatureOptions {
  /** Bad-bar policy, as in `computeFeatures`: `"error"` (default) throws, `"invalidate"`. */
  nanPolicy?: "error" | "invalidate";
  /** Symbol, for error messages. */
  symbol?: string;
}

const N = 20; // longest look-back of the hand-written features (return_20, vol 20, volume 20)
const COL = Object.fromEntries(FEATURE_NAMES.map((n, j) => [n, j])) as Record<string, number>;

interface Segment {
  m: number;
  close: Float64Array; // ring of the last N + 1 closes
  logRet: Float64Array; // ring of the last N one-bar log returns
  volume: Float64Array; // ring of the last N volumes
  gain: ti.AverageGain;
  loss: ti.AverageLoss;
  atr: ti.ATR;
  bb: ti.BollingerBands;
  macd: ti.MACD;
  ema: ti.EMA;
  prevEma: number;
}

function newSegment(): Segment {
  return {
    m: 0,
    close: new Float64Array(N + 1),
    logRet: new Float64Array(N),
    volume: new Float64Array(N),
    gain: new ti.AverageGain({ values: [], period: 14 }),
    loss: new ti.AverageLoss({ values: [], period: 14 }),
    atr: new ti.ATR({ high: [], low: [], close: [], period: 14 }),
    bb: new ti.BollingerBands({ values: [], period: 20, stdDev: 2 }),
    macd: new ti.MACD({
      values: [],
      fastPeriod: 12,
      slowPeriod: 26,
      signalPeriod: 9,
      SimpleMAOscillator: false,
      SimpleMASignal: false,
    }),
    ema: new ti.EMA({ values: [], period: 20 }),
    prevEma: NaN,
  };
}

function badColumn(b: FeatureBar): "open" | "high" | "low" | "close" | "volume" | null {
  for (const c of ["open", "high", "low", "close"] as const) {
    const v = b[c];
    if (!Number.isFinite(v) || v <= 0) return c;
  }
  return !Number.isFinite(b.volume) || b.volume < 0 ? "volume" : null;
}

/**
 * The causal feature computer of a live loop.
 *
 * @example
 * ```ts
 * const f = new IncrementalFeatures();
 * for (const bar of feed) {
 *   const { row, valid } = f.push(bar);
 *   if (valid) act(row);
 * }
 * ```
 */
export class IncrementalFeatures {
  /** Column names (same order as the batch feature matrix). */
  readonly names: readonly string[] = FEATURE_NAMES;
  /** Number of columns. */
  readonly cols: number = FEATURE_NAMES.length;
  readonly #policy: "error" | "invalidate";
  readonly #symbol: string;
  readonly #row: Float64Array;
  readonly #oi = new Float64Array(N + 1).fill(NaN); // ring over ALL bars (batch reads oi[i − 20])
  #seg: Segment = newSegment();
  #index = 0;
  #funding = 0;

  /** A computer at the start of a stream. */
  constructor(options: IncrementalFeatureOptions = {}) {
    const p = options.nanPolicy ?? "error";
    if (p !== "error" && p !== "invalidate") {
      throw new DataError(
        `unknown nanPolicy "${p}"`,
        { parameter: "nanPolicy" },
        'use "error" or "invalidate"',
      );
    }
    this.#policy = p;
    this.#symbol = options.symbol ?? "stream";
    this.#row = new Float64Array(this.cols);
  }

  /** Bars pushed so far. */
  get barsSeen(): number {
    return this.#index;
  }

  /**
   * Feed the next closed bar; returns its feature row (see {@link FeatureStep}).
   *
   * @throws {DataError} on a bad bar under `nanPolicy: "error"`, naming the bar and column.
   */
  push(bar: FeatureBar): FeatureStep {
    const i = this.#index++;
    const row = this.#row;
    row.fill(NaN);
    // Funding and OI are independent of the price stretches, as in batch.
    const fr = bar.fundingRate;
    if (fr !== undefined && Number.isFinite(fr)) this.#funding = fr;
    const oiNow = bar.openInterest ?? NaN;
    const oiBack = i >= 20 ? this.#oi[(i - 20) % (N + 1)] : NaN;
    this.#oi[i % (N + 1)] = oiNow;

    const bad = badColumn(bar);
    if (bad !== null) {
      if (this.#policy === "error") {
        throw new DataError(
          `${this.#symbol}: bar ${i} (time ${new Date(bar.time).toISOString()}) has ${bad} = ${
            bar[bad]
          }`,
          { row: i + 1, column: bad },
          'fill or drop the bad bars, or use nanPolicy: "invalidate"',
        );
      }
      this.#seg = newSegment();
      return { index: i, row, valid: false };
    }
    this.#priceFeatures(bar, row);

    // OI features: neutral 0 where OI is unknown at i or i − 20; NaN during price warm-up.
    const ret20 = row[COL.return_20];
    let ch = NaN;
    if (Number.isFinite(oiNow) && Number.isFinite(oiBack) && oiNow > 0 && oiBack > 0) {
      ch = oiNow / oiBack - 1;
    }
    if (Number.isFinite(ch)) {
      row[COL.oi_change_20] = ch;
      row[COL.oi_price_divergence_20] = ch - ret20;
    } else {
      row[COL.oi_change_20] = 0;
      row[COL.oi_price_divergence_20] = Number.isFinite(ret20) ? 0 : NaN;
    }
    if (!Number.isFinite(ret20)) row[COL.oi_change_20] = NaN;
    row[COL.funding_rate] = this.#funding;

    let valid = true;
    for (let j = 0; j < this.cols; j++) {
      if (!Number.isFinite(row[j])) {
        valid = false;
        break;
      }
    }
    if (!valid) row.fill(NaN);
    return { index: i, row, valid };
  }

  #priceFeatures(bar: FeatureBar, row: Float64Array): void {
    const s = this.#seg;
    const m = s.m++;
    const close = bar.close;
    const R = N + 1;
    const prevClose = m >= 1 ? s.close[(m - 1) % R] : NaN;
    const close5 = m >= 5 ? s.close[(m - 5) % R] : NaN;
    const close20 = m >= 20 ? s.close[(m - 20) % R] : NaN;
    s.close[m % R] = close;
    s.volume[m % N] = bar.volume;
    if (m >= 1) s.logRet[m % N] = Math.log(close / prevClose);

    if (m >= 20) row[COL.return_20] = close / close20 - 1;
    if (m >= 1) row[COL.return_1] = close / prevClose - 1;
    if (m >= 5) row[COL.return_5] = close / close5 - 1;

    const atr = s.atr.nextValue({ high: bar.high, low: bar.low, close } as never) as
      | number
      | undefined;
    if (m >= 14 && atr !== undefined) {
      row[COL.atr_14] = atr;
      row[COL.natr] = atr / close;
    }

    const ag = s.gain.nextValue(close);
    const al = s.loss.nextValue(close);
    if (m >= 14 && ag !== undefined && al !== undefined) {
      row[COL.rsi_14] = al === 0 && ag === 0 ? 50 : al === 0 ? 100 : 100 - 100 / (1 + ag / al);
    }

    const bb = s.bb.nextValue(close) as { upper: number; lower: number } | undefined;
    if (m >= 19 && bb !== undefined) {
      const width = bb.upper - bb.lower;
      row[COL.bb_position] = width > 1e-12 * Math.abs(bb.upper) ? (close - bb.lower) / width : 0.5;
    }

    if (m >= 19) {
      let sum = 0;
      for (let k = m - 19; k <= m; k++) sum += s.volume[k % N];
      const mean = sum / 20;
      row[COL.volume_ratio] = mean > 0 ? bar.volume / mean : 1;
    }

    if (m >= 20) {
      let mu = 0;
      for (let k = m - 19; k <= m; k++) mu += s.logRet[k % N];
      mu /= 20;
      let v = 0;
      for (let k = m - 19; k <= m; k++) v += (s.logRet[k % N] - mu) * (s.logRet[k % N] - mu);
      row[COL.realized_vol_20] = Math.sqrt(v / 20);
    }

    const macd = s.macd.nextValue(close) as { histogram?: number } | undefined;
    if (m >= 33 && macd !== undefined && macd.histogram !== undefined) {
      row[COL.macd_hist_norm] = macd.histogram / close;
    }

    const e = s.ema.nextValue(close);
    const ev = e === undefined ? NaN : e;
    if (m >= 20) row[COL.ema_slope_20] = ev / s.prevEma - 1;
    s.prevEma = ev;
  }
}

/** SHA-256 (hex) of an observation's Float64 bytes: the journal's `obs_hash`. */
export async function observationHash(obs: Float64Array): Promise<string> {
  const bytes = new Uint8Array(obs.buffer, obs.byteOffset, obs.byteLength).slice();
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
