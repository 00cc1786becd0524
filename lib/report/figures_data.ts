/**
 * Plotly figure builders for market data: price/volume, open interest/funding, and the
 * train/validation/test split on a timeline. Pure functions: they return plain figure
 * objects for {@link showPlot} and never touch the DOM.
 *
 * Long series are aggregated for display (see {@link downsampleOhlcv}): a 6-month 5-minute
 * market (52,560 bars) becomes ≤ `maxPoints` display bars, each the exact OHLCV aggregate of
 * consecutive bars, so the HTML stays small and the chart honest (highs and lows kept).
 * Titles say when bars were aggregated.
 *
 * @module
 */
import type { MarketData } from "../data/mod.ts";
import { ConfigError } from "../util/mod.ts";
import type { PlotlyFigure } from "./display.ts";
import { LEGEND_RIGHT } from "./_style.ts";

/** OHLCV bars aggregated for display. */
export interface DisplayBars {
  /** Open time of each display bar, UTC epoch ms (first source bar of the bucket). */
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  /** Summed volume (base units). */
  volume: Float64Array;
  /** Last open interest of the bucket (contracts); absent when the source has none. */
  openInterest?: Float64Array;
  /** Source bars per display bar. */
  factor: number;
}

/** Options shared by the price figures. */
export interface DataFigureOptions {
  /** Maximum display bars (source bars are aggregated above this). Default 2,000. */
  maxPoints?: number;
  /** Figure title; default from the symbol and interval. */
  title?: string;
  /** Figure height, CSS px. Default depends on the figure. */
  height?: number;
}

/**
 * Aggregates consecutive bars `factor = ceil(n / maxPoints)` at a time: open of the first,
 * max high, min low, close of the last, summed volume, last open interest. NaN inputs are
 * skipped within a bucket (a bucket of only NaN stays NaN). `factor = 1` copies the data.
 */
export function downsampleOhlcv(md: MarketData, maxPoints = 2000): DisplayBars {
  if (!(maxPoints >= 1)) {
    throw new ConfigError(`maxPoints must be ≥ 1, got ${maxPoints}`, { parameter: "maxPoints" });
  }
  const n = md.time.length;
  const factor = Math.max(1, Math.ceil(n / maxPoints));
  const m = Math.ceil(n / factor);
  const out: DisplayBars = {
    time: new Float64Array(m),
    open: new Float64Array(m),
    high: new Float64Array(m),
    low: new Float64Array(m),
    close: new Float64Array(m),
    volume: new Float64Array(m),
    openInterest: md.openInterest ? new Float64Array(m) : undefined,
    factor,
  };
  for (let j = 0; j < m; j++) {
    const s = j * factor;
    const e = Math.min(n, s + factor);
    let hi = -Infinity, lo = Infinity, vol = 0, o = NaN, c = NaN, oi = NaN;
    for (let i = s; i < e; i++) {
      if (Number.isNaN(o)) o = md.open[i];
      if (!Number.isNaN(md.close[i])) c = md.close[i];
      if (md.high[i] > hi) hi = md.high[i];
      if (md.low[i] < lo) lo = md.low[i];
      if (!Number.isNaN(md.volume[i])) vol += md.volume[i];
      if (md.openInterest && !Number.isNaN(md.openInterest[i])) oi = md.openInterest[i];
    }
    out.time[j] = md.time[s];
    out.open[j] = o;
    out.high[j] = hi === -Infinity ? NaN : hi;
    out.low[j] = lo === Infinity ? NaN : lo;
    out.close[j] = c;
    out.volume[j] = vol;
    if (out.openInterest) out.openInterest[j] = oi;
  }
  return out;
}

function aggregationNote(md: MarketData, factor: number): string {
  return factor > 1 ? ` (${md.interval} bars aggregated ×${factor} for display)` : "";
}

/**
 * Candlestick price chart with a volume panel below (shared time axis, UTC).
 * Volume is in base units summed over each display bar.
 */
export function priceVolumeFigure(md: MarketData, options: DataFigureOptions = {}): PlotlyFigure {
  const d = downsampleOhlcv(md, options.maxPoints ?? 2000);
  const title = (options.title ?? `${md.symbol} ${md.interval}: price and volume`) +
    aggregationNote(md, d.factor);
  return {
    data: [
      {
        type: "candlestick",
        name: "price",
        x: d.time,
        open: d.open,
        high: d.high,
        low: d.low,
        close: d.close,
        xaxis: "x",
        yaxis: "y",
        increasing: { line: { color: "#26a69a", width: 1 } },
        decreasing: { line: { color: "#ef5350", width: 1 } },
      },
      {
        type: "bar",
        name: "volume",
        x: d.time,
        y: d.volume,
        xaxis: "x",
        yaxis: "y2",
        marker: { color: "#7f8c8d" },
      },
    ],
    layout: {
      title: { text: title },
      height: options.height ?? 560,
      showlegend: false,
      margin: { t: 50, r: 20, b: 40, l: 70 },
      xaxis: { type: "date", rangeslider: { visible: false }, anchor: "y2" },
      yaxis: { domain: [0.3, 1], title: { text: "price (quote)" } },
      yaxis2: { domain: [0, 0.24], title: { text: "volume (base)" } },
    },
  };
}

/**
 * Open interest (contracts, last value of each display bar) and funding rates per settlement
 * (shown in PERCENT per settlement: 0.01 = 0.01 %) on a shared time axis. Missing series are
 * omitted with a note in the title.
 */
export function openInterestFundingFigure(
  md: MarketData,
  options: DataFigureOptions = {},
): PlotlyFigure {
  const d = downsampleOhlcv(md, options.maxPoints ?? 2000);
  const data: Record<string, unknown>[] = [];
  const notes: string[] = [];
  if (d.openInterest) {
    data.push({
      type: "scatter",
      mode: "lines",
      name: "open interest",
      x: d.time,
      y: d.openInterest,
      line: { color: "#8e44ad", width: 1.2 },
      xaxis: "x",
      yaxis: "y",
    });
  } else notes.push("no open interest");
  if (md.fundingRate) {
    const t: number[] = [];
    const r: number[] = [];
    for (let i = 0; i < md.fundingRate.length; i++) {
      const v = md.fundingRate[i];
      if (!Number.isNaN(v)) {
        t.push(md.time[i]);
        r.push(v * 100);
      }
    }
    data.push({
      type: "bar",
      name: "funding (% per settlement)",
      x: t,
      y: r,
      marker: { color: r.map((v) => (v >= 0 ? "#e67e22" : "#2980b9")) },
      xaxis: "x",
      yaxis: "y2",
    });
  } else notes.push("no funding");
  const title = (options.title ?? `${md.symbol}: open interest and funding`) +
    (notes.length ? ` (${notes.join(", ")})` : "") + aggregationNote(md, d.factor);
  return {
    data,
    layout: {
      title: { text: title },
      height: options.height ?? 480,
      showlegend: false,
      margin: { t: 50, r: 20, b: 40, l: 70 },
      xaxis: { type: "date", anchor: "y2" },
      yaxis: { domain: [0.45, 1], title: { text: "open interest (contracts)" } },
      yaxis2: { domain: [0, 0.38], title: { text: "funding (%)" }, zeroline: true },
    },
  };
}

/** A named index range `[start, end)` for {@link splitTimelineFigure}. */
export interface NamedRange {
  /** Label, e.g. "train". */
  name: string;
  /** First bar index (inclusive). */
  start: number;
  /** One past the last bar index (exclusive). */
  end: number;
}

const SPLIT_COLORS: Record<string, string> = {
  train: "#2e86de",
  validation: "#f39c12",
  test: "#27ae60",
};

/**
 * The close price on a timeline with each split range shaded and its close segment coloured;
 * bars in no range (purge/embargo gaps, unused tail) are drawn grey. Ranges are bar indices.
 */
export function splitTimelineFigure(
  md: MarketData,
  ranges: readonly NamedRange[],
  options: DataFigureOptions = {},
): PlotlyFigure {
  const n = md.time.length;
  const d = downsampleOhlcv(md, options.maxPoints ?? 2000);
  const f = d.factor;
  const data: Record<string, unknown>[] = [{
    type: "scatter",
    mode: "lines",
    name: "outside splits",
    x: d.time,
    y: d.close,
    line: { color: "#b0b0b0", width: 1 },
  }];
  const shapes: Record<string, unknown>[] = [];
  const annotations: Record<string, unknown>[] = [];
  ranges.forEach((r, k) => {
    if (!(r.start >= 0 && r.end <= n && r.start <= r.end)) {
      throw new ConfigError(`range ${r.name} [${r.start}, ${r.end}) is outside 0..${n}`, {
        parameter: "ranges",
      });
    }
    if (r.end === r.start) return;
    const color = SPLIT_COLORS[r.name] ?? ["#8e44ad", "#c0392b", "#16a085"][k % 3];
    const j0 = Math.floor(r.start / f);
    const j1 = Math.ceil(r.end / f);
    data.push({
      type: "scatter",
      mode: "lines",
      name: `${r.name} (${r.end - r.start} bars)`,
      x: d.time.subarray(j0, j1),
      y: d.close.subarray(j0, j1),
      line: { color, width: 1.5 },
    });
    const x0 = md.time[r.start];
    const x1 = md.time[r.end - 1] + md.intervalMs;
    shapes.push({
      type: "rect",
      xref: "x",
      yref: "paper",
      x0,
      x1,
      y0: 0,
      y1: 1,
      fillcolor: color,
      opacity: 0.1,
      line: { width: 0 },
    });
    annotations.push({
      x: (x0 + x1) / 2,
      y: 1.02,
      xref: "x",
      yref: "paper",
      text: r.name,
      showarrow: false,
      font: { color },
    });
  });
  return {
    data,
    layout: {
      title: {
        text: (options.title ?? `${md.symbol}: chronological split`) + aggregationNote(md, f),
      },
      height: options.height ?? 380,
      margin: { t: 60, r: 20, b: 40, l: 70 },
      xaxis: { type: "date" },
      yaxis: { title: { text: "close (quote)" } },
      shapes,
      annotations,
      legend: LEGEND_RIGHT,
    },
  };
}

/** One row of {@link rangeRows}. */
export interface RangeRow extends Record<string, unknown> {
  /** Range label. */
  split: string;
  /** Number of bars. */
  bars: number;
  /** Share of all bars, PERCENT. */
  share_pct: number;
  /** Open time of the first bar, ISO-8601 UTC ("" when empty). */
  first_bar: string;
  /** Open time of the last bar, ISO-8601 UTC ("" when empty). */
  last_bar: string;
  /** Bar indices `[start, end)`. */
  index_range: string;
}

/** Table rows (for {@link showTable}) describing named bar ranges with their UTC dates. */
export function rangeRows(md: MarketData, ranges: readonly NamedRange[]): RangeRow[] {
  const n = md.time.length;
  const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
  return ranges.map((r) => ({
    split: r.name,
    bars: r.end - r.start,
    share_pct: Math.round(((r.end - r.start) / Math.max(1, n)) * 10_000) / 100,
    first_bar: r.end > r.start ? iso(md.time[r.start]) : "",
    last_bar: r.end > r.start ? iso(md.time[r.end - 1]) : "",
    index_range: `[${r.start}, ${r.end})`,
  }));
}

/** One row of {@link regimeRows}. */
export interface RegimeRow extends Record<string, unknown> {
  /** Regime name. */
  regime: string;
  /** Bars in the regime. */
  bars: number;
  /** Share of all bars, PERCENT. */
  share_pct: number;
  /** RMS close-to-close log return of bars in the regime, PERCENT per bar. */
  vol_per_bar_pct: number;
}

/**
 * Per-regime bar counts and realised volatility, for a labelled series (e.g. the hidden
 * regimes of the synthetic market). Bar i's return is `ln(close[i] / close[i−1])`, counted
 * in the regime of bar i; bar 0 only counts towards `bars`.
 */
export function regimeRows(
  regime: ArrayLike<number>,
  close: ArrayLike<number>,
  options: { names?: readonly string[] } = {},
): RegimeRow[] {
  const k = Math.max(0, ...Array.from(regime)) + 1;
  const names = options.names ?? Array.from({ length: k }, (_, i) => `regime ${i}`);
  const bars = new Float64Array(names.length);
  const rets = new Float64Array(names.length);
  const sumSq = new Float64Array(names.length);
  for (let i = 0; i < regime.length; i++) {
    const r = regime[i];
    bars[r]++;
    if (i === 0) continue;
    const lr = Math.log(close[i] / close[i - 1]);
    if (Number.isFinite(lr)) {
      rets[r]++;
      sumSq[r] += lr * lr;
    }
  }
  const n = Math.max(1, regime.length);
  return names.map((name, r) => ({
    regime: name,
    bars: bars[r],
    share_pct: Math.round((bars[r] / n) * 10_000) / 100,
    vol_per_bar_pct: rets[r] ? Math.sqrt(sumSq[r] / rets[r]) * 100 : NaN,
  }));
}
