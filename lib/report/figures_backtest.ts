/**
 * Plotly figure builders for backtests: equity (RL vs baseline vs buy-and-hold), drawdown,
 * trades on price, action distribution, rolling Sharpe, reward components, trade PnL
 * histogram, comparison and targets tables. Pure functions returning plain `{data, layout}`
 * objects for `showPlot` (lib/report/display.ts); times are UTC epoch ms on date axes.
 *
 * Long curves are thinned for display to at most `maxPoints` points (default 2,000): equity
 * and rolling Sharpe keep every k-th bar plus the last; drawdown keeps the deepest point of
 * each bucket so the worst drawdown is never hidden. Titles say when that happened.
 *
 * @module
 */
import type { BacktestResult, ComparisonRow, TargetCheck } from "../backtest/mod.ts";
import { ACTION_LABELS } from "../env/mod.ts";
import { drawdownSeries, rollingSharpe, SHORT_WINDOW_TEXT, simpleReturns } from "../metrics/mod.ts";
import { ConfigError } from "../util/mod.ts";
import type { PlotlyFigure } from "./display.ts";
import { LEGEND_RIGHT, traceColor } from "./_style.ts";

/** A named curve for multi-strategy figures (a {@link BacktestResult} qualifies). */
export interface NamedCurve {
  name: string;
  /** UTC epoch ms, same length as `equity`. */
  time: ArrayLike<number>;
  /** Equity, quote currency. */
  equity: ArrayLike<number>;
}

/** Options shared by the figure builders. */
export interface FigureOptions {
  /** Title override. */
  title?: string;
  /** Maximum points per line (curves are thinned above this). Default 2,000. */
  maxPoints?: number;
  /** Height, CSS px. */
  height?: number;
}

const LONG_COLOR = "#2ca02c";
const SHORT_COLOR = "#d62728";
/** Exits: darker shades of the side's colour (a different trace, a different colour). */
const LONG_EXIT_COLOR = "#145a14";
const SHORT_EXIT_COLOR = "#8b1414";

function stride(n: number, maxPoints: number): number {
  if (!(maxPoints >= 2)) {
    throw new ConfigError(`maxPoints must be ≥ 2, got ${maxPoints}`, { parameter: "maxPoints" });
  }
  return Math.max(1, Math.ceil(n / maxPoints));
}

/** Every `k`-th element plus the last (display thinning). */
function thin(a: ArrayLike<number>, k: number): Float64Array {
  const n = a.length;
  if (k <= 1) return Float64Array.from(a);
  const m = Math.ceil(n / k);
  const last = (m - 1) * k === n - 1 ? 0 : 1;
  const out = new Float64Array(m + last);
  for (let j = 0; j < m; j++) out[j] = a[j * k];
  if (last) out[m] = a[n - 1];
  return out;
}

/** Minimum of each bucket of `k` (and the time of that minimum). */
function bucketMin(
  time: ArrayLike<number>,
  v: ArrayLike<number>,
  k: number,
): { x: Float64Array; y: Float64Array } {
  const n = v.length;
  if (k <= 1) return { x: Float64Array.from(time), y: Float64Array.from(v) };
  const m = Math.ceil(n / k);
  const x = new Float64Array(m);
  const y = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    let best = Infinity;
    let bt = time[j * k];
    for (let i = j * k; i < Math.min(n, (j + 1) * k); i++) {
      if (v[i] < best) {
        best = v[i];
        bt = time[i];
      }
    }
    x[j] = bt;
    y[j] = best;
  }
  return { x, y };
}

function note(k: number): string {
  return k > 1 ? ` (every ${k}th bar shown)` : "";
}

function dateAxis(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: "date", title: "time (UTC)", ...extra };
}

/**
 * Equity curves of several strategies on one chart (e.g. RL, baseline, buy-and-hold), in
 * quote currency, or as growth of 1 with `normalise`.
 */
export function equityFigure(
  curves: readonly NamedCurve[],
  options: FigureOptions & { normalise?: boolean } = {},
): PlotlyFigure {
  const maxPoints = options.maxPoints ?? 2000;
  let kMax = 1;
  const data = curves.map((c, i) => {
    const k = stride(c.equity.length, maxPoints);
    kMax = Math.max(kMax, k);
    const y = thin(c.equity, k);
    if (options.normalise && c.equity.length) {
      for (let j = 0; j < y.length; j++) y[j] /= c.equity[0];
    }
    return {
      type: "scatter",
      mode: "lines",
      name: c.name,
      x: thin(c.time, k),
      y,
      line: { width: 1.5, color: traceColor(i, curves.length) },
    };
  });
  return {
    data,
    layout: {
      title: (options.title ?? "Equity") + note(kMax),
      xaxis: dateAxis(),
      yaxis: { title: options.normalise ? "growth of 1" : "equity (quote currency)" },
      height: options.height ?? 420,
      legend: LEGEND_RIGHT,
    },
  };
}

/** Drawdown from the running peak, in percent, per strategy (deepest point per bucket kept). */
export function drawdownFigure(
  curves: readonly NamedCurve[],
  options: FigureOptions = {},
): PlotlyFigure {
  const maxPoints = options.maxPoints ?? 2000;
  let kMax = 1;
  const data = curves.map((c, i) => {
    const dd = drawdownSeries(c.equity);
    for (let j = 0; j < dd.length; j++) dd[j] *= 100;
    const k = stride(dd.length, maxPoints);
    kMax = Math.max(kMax, k);
    const { x, y } = bucketMin(c.time, dd, k);
    return {
      type: "scatter",
      mode: "lines",
      name: c.name,
      x,
      y,
      fill: i === 0 ? "tozeroy" : "none",
      line: { width: 1, color: traceColor(i, curves.length) },
    };
  });
  return {
    data,
    layout: {
      title: (options.title ?? "Drawdown") + (kMax > 1 ? ` (deepest point per ${kMax} bars)` : ""),
      xaxis: dateAxis(),
      yaxis: { title: "drawdown (%)", ticksuffix: " %" },
      height: options.height ?? 320,
      legend: LEGEND_RIGHT,
    },
  };
}

/**
 * Price with trade markers: entries as triangles (up = long, green; down = short, red) at
 * the entry fill, exits as crosses in the side's colour at the exit fill. Hover shows the
 * trade's net PnL and exit reason.
 */
export function tradesOnPriceFigure(
  result: BacktestResult,
  options: FigureOptions = {},
): PlotlyFigure {
  const k = stride(result.price.length, options.maxPoints ?? 2000);
  const trace = (side: 1 | -1, which: "entry" | "exit") => {
    const ts = result.trades.filter((t) => t.side === side);
    return {
      type: "scatter",
      mode: "markers",
      name: `${side === 1 ? "long" : "short"} ${which}`,
      x: ts.map((t) => (which === "entry" ? t.entryTime : t.exitTime)),
      y: ts.map((t) => (which === "entry" ? t.entryPrice : t.exitPrice)),
      text: ts.map((t) =>
        which === "entry"
          ? `${side === 1 ? "long" : "short"} ${t.size.toPrecision(4)} @ ${t.entryPrice.toFixed(2)}`
          : `PnL ${t.pnl.toFixed(2)} (${t.exitReason ?? "exit"})`
      ),
      hoverinfo: "text+x",
      marker: {
        color: which === "entry"
          ? (side === 1 ? LONG_COLOR : SHORT_COLOR)
          : (side === 1 ? LONG_EXIT_COLOR : SHORT_EXIT_COLOR),
        size: which === "entry" ? 9 : 8,
        symbol: which === "entry" ? (side === 1 ? "triangle-up" : "triangle-down") : "x",
      },
    };
  };
  return {
    data: [
      {
        type: "scatter",
        mode: "lines",
        name: "price",
        x: thin(result.time, k),
        y: thin(result.price, k),
        line: { width: 1, color: "#555" },
      },
      trace(1, "entry"),
      trace(1, "exit"),
      trace(-1, "entry"),
      trace(-1, "exit"),
    ],
    layout: {
      title: (options.title ?? `${result.name}: trades on price (${result.trades.length} trades)`) +
        note(k),
      xaxis: dateAxis(),
      yaxis: { title: "price" },
      height: options.height ?? 460,
      legend: LEGEND_RIGHT,
    },
  };
}

/**
 * Action distribution (HOLD, LONG, SHORT, EXIT, SCALE_IN, SCALE_OUT; an options backtest's
 * FLAT, CALL, PUT) per strategy as a share of decisions in percent (hover shows the counts).
 */
export function actionDistributionFigure(
  results: readonly Pick<BacktestResult, "name" | "actionCounts" | "actionLabels">[],
  options: FigureOptions = {},
): PlotlyFigure {
  const data = results.map((r, i) => {
    const total = r.actionCounts.reduce((a, b) => a + b, 0) || 1;
    return {
      type: "bar",
      name: r.name,
      x: (r.actionLabels ?? ACTION_LABELS).slice(0, r.actionCounts.length),
      y: r.actionCounts.map((c) => (100 * c) / total),
      text: r.actionCounts.map((c) => String(c)),
      hovertemplate: "%{x}: %{y:.2f} % (%{text} decisions)<extra>%{fullData.name}</extra>",
      marker: { color: traceColor(i, results.length) },
    };
  });
  return {
    data,
    layout: {
      title: options.title ?? "Action distribution",
      barmode: "group",
      xaxis: { title: "action" },
      yaxis: { title: "share of decisions (%)", ticksuffix: " %" },
      height: options.height ?? 340,
    },
  };
}

/** Rolling annualised Sharpe over `window` bars per strategy. */
export function rollingSharpeFigure(
  curves: readonly NamedCurve[],
  options: FigureOptions & { window: number; periodsPerYear: number },
): PlotlyFigure {
  const maxPoints = options.maxPoints ?? 2000;
  let kMax = 1;
  const data = curves.map((c, i) => {
    const r = simpleReturns(c.equity);
    const rs = rollingSharpe(r, options.window, options.periodsPerYear);
    const t = Array.from({ length: r.length }, (_, j) => c.time[j + 1]);
    const k = stride(rs.length, maxPoints);
    kMax = Math.max(kMax, k);
    return {
      type: "scatter",
      mode: "lines",
      name: c.name,
      x: thin(t, k),
      y: thin(rs, k),
      line: { width: 1, color: traceColor(i, curves.length) },
    };
  });
  return {
    data,
    layout: {
      title: (options.title ?? `Rolling Sharpe (${options.window} bars, annualised)`) + note(kMax),
      xaxis: dateAxis(),
      yaxis: { title: "Sharpe (annualised)" },
      height: options.height ?? 320,
      legend: LEGEND_RIGHT,
    },
  };
}

/**
 * Reward components over time: the cumulative sum of each term (reward units) so their
 * contribution to the episode return is visible, plus the total.
 */
export function rewardComponentsFigure(
  result: BacktestResult,
  options: FigureOptions = {},
): PlotlyFigure {
  const names = Object.keys(result.rewardComponents);
  const n = result.rewards.length;
  const k = stride(n, options.maxPoints ?? 2000);
  const t = result.time.subarray(1, n + 1);
  const cum = (a: ArrayLike<number>) => {
    const out = new Float64Array(a.length);
    let s = 0;
    for (let i = 0; i < a.length; i++) out[i] = s += a[i];
    return out;
  };
  const data = names.map((name, i) => ({
    type: "scatter",
    mode: "lines",
    name,
    x: thin(t, k),
    y: thin(cum(result.rewardComponents[name]), k),
    line: { width: 1, color: traceColor(i, names.length) },
  }));
  data.push({
    type: "scatter",
    mode: "lines",
    name: "total reward",
    x: thin(t, k),
    y: thin(cum(result.rewards), k),
    line: { width: 2, color: "#000" },
  });
  return {
    data,
    layout: {
      title: (options.title ?? `${result.name}: cumulative reward by component`) + note(k),
      xaxis: dateAxis(),
      yaxis: { title: "cumulative reward" },
      height: options.height ?? 380,
      legend: LEGEND_RIGHT,
    },
  };
}

/** Histogram of trades' net PnL (quote currency) per strategy, overlaid. */
export function tradePnlHistogramFigure(
  results: readonly Pick<BacktestResult, "name" | "trades">[],
  options: FigureOptions & { bins?: number } = {},
): PlotlyFigure {
  return {
    data: results.map((r, i) => ({
      type: "histogram",
      name: `${r.name} (${r.trades.length})`,
      x: r.trades.map((t) => t.pnl),
      opacity: results.length > 1 ? 0.6 : 0.9,
      nbinsx: options.bins ?? 50,
      marker: { color: traceColor(i, results.length) },
    })),
    layout: {
      title: options.title ?? "Trade PnL (net of fees and funding)",
      barmode: "overlay",
      xaxis: { title: "net PnL per trade (quote currency)" },
      yaxis: { title: "trades" },
      height: options.height ?? 340,
    },
  };
}

/**
 * Height (CSS px) that shows every row of a plotly table without its inner scrollbar: plotly
 * draws a table in a fixed height and scrolls the rest, so a too-small guess hides rows.
 * Cell text wraps at the column width; the wrap is estimated for a figure `minWidth` px wide
 * (narrower than a notebook's output area, so the estimate errs on the tall side) at
 * ~7.2 px per character of 12 px text, 16 px per line and 8 px of padding per cell.
 */
function tableHeight(
  header: readonly string[],
  cols: readonly (readonly string[])[],
  options: { minWidth?: number; margin: number } = { margin: 60 },
): number {
  const width = options.minWidth ?? 640;
  const colPx = Math.max(40, width / Math.max(1, cols.length) - 10);
  const charsPerLine = Math.max(4, Math.floor(colPx / 7.2));
  const lines = (s: string) =>
    s.split("\n").reduce((n, part) => n + Math.max(1, Math.ceil(part.length / charsPerLine)), 0);
  const rowHeight = (cells: readonly string[]) => 8 + 16 * Math.max(1, ...cells.map(lines));
  const nRows = cols[0]?.length ?? 0;
  let h = rowHeight(header);
  for (let r = 0; r < nRows; r++) h += Math.max(24, rowHeight(cols.map((c) => c[r] ?? "")));
  return Math.ceil(options.margin + h + 16);
}

function fmtPct(x: number | null): string {
  return x === null || !Number.isFinite(x) ? "n/a" : `${(x * 100).toFixed(2)} %`;
}
function fmtNum(x: number | null): string {
  return x === null || !Number.isFinite(x) ? "n/a" : x.toFixed(2);
}

/** The comparison table ({@link ComparisonRow}s) as a plotly table. */
export function comparisonTableFigure(
  rows: readonly ComparisonRow[],
  options: FigureOptions = {},
): PlotlyFigure {
  const header = [
    "strategy",
    "total return",
    "annual return (CAGR)",
    "Sharpe",
    "Sortino",
    "max drawdown",
    "trades",
    "win rate",
    "profit factor",
    "payoff ratio",
    "fees",
    "targets met",
  ];
  const cols: string[][] = [
    rows.map((r) => r.name),
    rows.map((r) => fmtPct(r.totalReturn)),
    rows.map((r) =>
      r.annualReturn === null && r.windowDays !== undefined
        ? SHORT_WINDOW_TEXT
        : fmtPct(r.annualReturn)
    ),
    rows.map((r) => fmtNum(r.sharpe)),
    rows.map((r) => fmtNum(r.sortino)),
    rows.map((r) => fmtPct(r.maxDrawdown)),
    rows.map((r) => String(r.trades)),
    rows.map((r) => (r.fewTrades ? "n/a (too few trades)" : fmtPct(r.winRate))),
    rows.map((r) =>
      r.fewTrades
        ? "n/a (too few trades)"
        : r.profitFactor === null && r.winRate === 1
        ? "∞"
        : fmtNum(r.profitFactor)
    ),
    rows.map((r) => (r.fewTrades ? "n/a (too few trades)" : fmtNum(r.payoffRatio))),
    rows.map((r) => r.feesPaid.toFixed(2)),
    rows.map((r) => `${r.targetsMet}/${r.targetsTotal}`),
  ];
  return {
    data: [{
      type: "table",
      header: { values: header, align: "center", fill: { color: "#e8e8e8" }, font: { size: 12 } },
      cells: { values: cols, align: ["left", ...header.slice(1).map(() => "right")], height: 24 },
    }],
    layout: {
      title: options.title ?? "Strategy comparison",
      height: options.height ?? tableHeight(header, cols, { minWidth: 900, margin: 60 }),
      margin: { l: 10, r: 10, t: 50, b: 10 },
    },
  };
}

/**
 * The specification's targets table: one row per target, one column per strategy, cells
 * "value ✓" (met) or "value ✗" (not met), green/red.
 */
export function targetsTableFigure(
  checks: readonly { name: string; checks: readonly TargetCheck[] }[],
  options: FigureOptions = {},
): PlotlyFigure {
  const first = checks[0]?.checks ?? [];
  const header = ["metric", "target", ...checks.map((c) => c.name)];
  const cols: string[][] = [first.map((c) => c.metric), first.map((c) => c.target)];
  const colors: string[][] = [first.map(() => "white"), first.map(() => "white")];
  for (const c of checks) {
    cols.push(c.checks.map((x) => `${x.display} ${x.met ? "✓" : "✗"}`));
    colors.push(c.checks.map((x) => (x.met ? "#d8f0d8" : "#f6d6d6")));
  }
  return {
    data: [{
      type: "table",
      header: { values: header, align: "center", fill: { color: "#e8e8e8" } },
      cells: { values: cols, fill: { color: colors }, align: "left", height: 24 },
    }],
    layout: {
      title: options.title ?? "Specification targets (met ✓ / not met ✗)",
      height: options.height ?? tableHeight(header, cols, { margin: 60 }),
      margin: { l: 10, r: 10, t: 50, b: 10 },
    },
  };
}
