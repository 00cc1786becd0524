/**
 * Plotly figure builders and table rows for the features (used by notebook 02). Figures are
 * plain `PlotlyFigure` objects for `showPlot` of lib/report; nothing here changes data.
 *
 * @module
 */

import type { MarketData } from "../data/mod.ts";
import type { PlotlyFigure } from "./display.ts";
import { FEATURE_INFO, featureColumn, type FeatureMatrix, sma } from "../features/mod.ts";
import { LEGEND_RIGHT } from "./_style.ts";

const iso = (ms: number): string => new Date(ms).toISOString();

/** Valid-row values of one column. */
function validValues(fm: FeatureMatrix, name: string): Float64Array {
  const col = featureColumn(fm, name);
  const out: number[] = [];
  for (let i = 0; i < fm.rows; i++) if (fm.valid[i] === 1) out.push(col[i]);
  return Float64Array.from(out);
}

/** One row per feature: unit and distribution over the valid rows. */
export interface FeatureSummaryRow extends Record<string, unknown> {
  feature: string;
  unit: string;
  mean: number;
  std: number;
  min: number;
  p01: number;
  median: number;
  p99: number;
  max: number;
}

/** Distribution summary of every feature over the valid rows (units as in FEATURE_INFO). */
export function featureSummaryRows(fm: FeatureMatrix): FeatureSummaryRow[] {
  return fm.names.map((name) => {
    const v = validValues(fm, name).sort();
    const q = (p: number) => (v.length ? v[Math.min(v.length - 1, Math.floor(p * v.length))] : NaN);
    let m = 0;
    for (const x of v) m += x;
    m /= v.length;
    let s = 0;
    for (const x of v) s += (x - m) ** 2;
    return {
      feature: name,
      unit: FEATURE_INFO.find((f) => f.name === name)?.unit ?? "",
      mean: m,
      std: Math.sqrt(s / v.length),
      min: v[0],
      p01: q(0.01),
      median: q(0.5),
      p99: q(0.99),
      max: v[v.length - 1],
    };
  });
}

/** Small-multiple histograms of the features (valid rows, clipped to their 0.5–99.5 % range). */
export function featureHistogramsFigure(
  fm: FeatureMatrix,
  options: { names?: string[]; columns?: number; bins?: number } = {},
): PlotlyFigure {
  const names = options.names ?? fm.names;
  const ncol = options.columns ?? 4;
  const nrow = Math.ceil(names.length / ncol);
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    title: "Feature distributions (valid rows; tails beyond 0.5–99.5 % clipped)",
    showlegend: false,
    height: 220 * nrow,
    margin: { t: 60, l: 40, r: 20, b: 30 },
    annotations: [] as unknown[],
  };
  const gap = 0.04;
  names.forEach((name, k) => {
    const r = Math.floor(k / ncol);
    const c = k % ncol;
    const ax = k === 0 ? "" : String(k + 1);
    const v = validValues(fm, name);
    const sorted = v.slice().sort();
    const lo = sorted[Math.floor(0.005 * (sorted.length - 1))];
    const hi = sorted[Math.ceil(0.995 * (sorted.length - 1))];
    // Binned here (not by plotly) so a figure of 100k bars stays small in the notebook.
    const nb = options.bins ?? 60;
    const width = hi > lo ? (hi - lo) / nb : 1;
    const counts = new Array<number>(nb).fill(0);
    for (const x of v) {
      const b = hi > lo ? Math.floor((Math.min(hi, Math.max(lo, x)) - lo) / width) : 0;
      counts[Math.min(nb - 1, b)]++;
    }
    data.push({
      type: "bar",
      x: counts.map((_, b) => lo + (b + 0.5) * width),
      y: counts,
      width: width,
      xaxis: `x${ax}`,
      yaxis: `y${ax}`,
      marker: { color: "#4c78a8" },
      name: name,
    });
    const x0 = c / ncol + gap / 2;
    const x1 = (c + 1) / ncol - gap / 2;
    const y1 = 1 - r / nrow - gap;
    const y0 = 1 - (r + 1) / nrow + gap;
    layout[`xaxis${ax}`] = { domain: [x0, x1], anchor: `y${ax}`, tickfont: { size: 9 } };
    layout[`yaxis${ax}`] = { domain: [y0, y1], anchor: `x${ax}`, showticklabels: false };
    (layout.annotations as unknown[]).push({
      text: name,
      x: (x0 + x1) / 2,
      y: y1 + 0.01,
      xref: "paper",
      yref: "paper",
      showarrow: false,
      font: { size: 11 },
      yanchor: "bottom",
    });
  });
  return { data, layout };
}

/** Pearson correlation matrix of the features over the valid rows. */
export function featureCorrelation(fm: FeatureMatrix): { names: string[]; matrix: number[][] } {
  const cols = fm.names.map((n) => validValues(fm, n));
  const std = cols.map((v) => {
    let m = 0;
    for (const x of v) m += x;
    m /= v.length;
    const d = v.map((x) => x - m);
    let s = 0;
    for (const x of d) s += x * x;
    return { d, s: Math.sqrt(s) };
  });
  const matrix = std.map((a) =>
    std.map((b) => {
      if (a.s === 0 || b.s === 0) return NaN;
      let s = 0;
      for (let i = 0; i < a.d.length; i++) s += a.d[i] * b.d[i];
      return s / (a.s * b.s);
    })
  );
  return { names: [...fm.names], matrix };
}

/** Heatmap of {@link featureCorrelation} (blank cells: a constant column). */
export function featureCorrelationFigure(fm: FeatureMatrix): PlotlyFigure {
  const { names, matrix } = featureCorrelation(fm);
  return {
    data: [{
      type: "heatmap",
      z: matrix.map((r) => r.map((x) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : null))),
      x: names,
      y: names,
      zmin: -1,
      zmax: 1,
      colorscale: "RdBu",
      reversescale: true,
      texttemplate: "%{z}",
      textfont: { size: 9 },
    }],
    layout: {
      title: "Feature correlations (Pearson, valid rows)",
      height: 620,
      margin: { l: 160, b: 140, t: 60 },
      yaxis: { autorange: "reversed" },
    },
  };
}

/**
 * Indicator overlays on a window of bars: close with Bollinger bands (20, 2σ), RSI(14) with
 * the 30/70 lines, and natr (percent for display only).
 */
export function indicatorOverlayFigure(
  md: MarketData,
  fm: FeatureMatrix,
  options: { start?: number; end?: number } = {},
): PlotlyFigure {
  const end = options.end ?? md.time.length;
  const start = options.start ?? Math.max(0, end - 600);
  const t = Array.from(md.time.subarray(start, end), iso);
  const close = md.close;
  const mid = sma(close, 20);
  const upper: number[] = [];
  const lower: number[] = [];
  for (let i = start; i < end; i++) {
    let s = 0;
    if (i >= 19) { for (let k = i - 19; k <= i; k++) s += (close[k] - mid[i]) ** 2; }
    const sd = i >= 19 ? Math.sqrt(s / 20) : NaN;
    upper.push(mid[i] + 2 * sd);
    lower.push(mid[i] - 2 * sd);
  }
  const rsi = featureColumn(fm, "rsi_14").subarray(start, end);
  const natr = featureColumn(fm, "natr").subarray(start, end).map((x) => 100 * x);
  return {
    data: [
      { type: "scatter", x: t, y: upper, name: "BB upper", line: { width: 1, color: "#bbb" } },
      {
        type: "scatter",
        x: t,
        y: lower,
        name: "BB lower",
        line: { width: 1, color: "#bbb" },
        fill: "tonexty",
        fillcolor: "rgba(180,180,180,0.15)",
      },
      {
        type: "scatter",
        x: t,
        y: Array.from(mid.subarray(start, end)),
        name: "SMA 20",
        line: { width: 1, dash: "dot" },
      },
      {
        type: "scatter",
        x: t,
        y: Array.from(close.subarray(start, end)),
        name: "close",
        line: { width: 1.5, color: "#1f77b4" },
      },
      {
        type: "scatter",
        x: t,
        y: Array.from(rsi),
        name: "rsi_14",
        yaxis: "y2",
        line: { color: "#9467bd" },
      },
      {
        type: "scatter",
        x: t,
        y: Array.from(natr),
        name: "natr (%)",
        yaxis: "y3",
        line: { color: "#d62728" },
      },
    ],
    layout: {
      title: "Indicators on price (last bars): Bollinger 20/2, RSI 14, NATR",
      height: 640,
      yaxis: { domain: [0.45, 1], title: "price" },
      yaxis2: { domain: [0.22, 0.42], title: "RSI", range: [0, 100] },
      yaxis3: { domain: [0, 0.19], title: "NATR %" },
      shapes: [30, 70].map((y) => ({
        type: "line",
        xref: "paper",
        x0: 0,
        x1: 1,
        yref: "y2",
        y0: y,
        y1: y,
        line: { dash: "dash", width: 1, color: "#999" },
      })),
      legend: LEGEND_RIGHT,
    },
  };
}

/**
 * Open-interest and funding features over time (every `stride`-th bar so at most
 * `maxPoints` are drawn): oi_change_20 and oi_price_divergence_20 (percent for display) and
 * funding_rate (percent per settlement).
 */
export function oiFundingFeaturesFigure(
  fm: FeatureMatrix,
  options: { maxPoints?: number } = {},
): PlotlyFigure {
  const stride = Math.max(1, Math.ceil(fm.rows / (options.maxPoints ?? 3000)));
  const idx: number[] = [];
  for (let i = fm.firstValidRow; i < fm.rows; i += stride) idx.push(i);
  const t = idx.map((i) => iso(fm.time[i]));
  const pick = (name: string) => {
    const c = featureColumn(fm, name);
    return idx.map((i) => 100 * c[i]);
  };
  return {
    data: [
      {
        type: "scatter",
        x: t,
        y: pick("oi_change_20"),
        name: "oi_change_20 (%)",
        line: { width: 1 },
      },
      {
        type: "scatter",
        x: t,
        y: pick("oi_price_divergence_20"),
        name: "oi_price_divergence_20 (%)",
        line: { width: 1 },
      },
      {
        type: "scatter",
        x: t,
        y: pick("funding_rate"),
        name: "funding_rate (% per settlement)",
        yaxis: "y2",
        line: { shape: "hv", width: 1, color: "#2ca02c" },
      },
    ],
    layout: {
      title:
        `OI and funding features (OI available: ${fm.available.openInterest}, funding available: ${fm.available.funding})`,
      height: 520,
      yaxis: { domain: [0.4, 1], title: "% over 20 bars" },
      yaxis2: { domain: [0, 0.33], title: "% per settlement" },
      legend: LEGEND_RIGHT,
    },
  };
}
