/**
 * Figures and tables of the options env (notebook 09): the pricer's error on a chain by
 * moneyness and tenor, the volatility model against VIX, one recorded episode (underlying and
 * side, the option's premium, Greeks, cumulative reward terms), equity curves and the
 * comparison table of policies on a split. Also the notebook's inputs: the real chain and
 * daily SPY/VIX of `../shared/data` when present, else seeded synthetic stand-ins (the result
 * says which).
 *
 * @module
 */
import type { OptionsEpisode } from "../backtest/mod.ts";
import {
  type DailyIndex,
  generateSyntheticOptionsMarket,
  loadDailyIndexCsv,
  parseCsv,
} from "../data/mod.ts";
import {
  type ChainErrorCell,
  levelAt,
  type OptionChain,
  parseOptionChain,
  syntheticOptionChain,
  type VolModelVsVix,
} from "../options/mod.ts";
import { sharpeRatio, simpleReturns } from "../metrics/mod.ts";
import type { PlotlyFigure } from "./display.ts";
import { equityFigure } from "./figures_backtest.ts";

const exists = (p: string): boolean => {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
};

/** A chain with its VIX level, and where it came from. */
export interface NotebookChain {
  chain: OptionChain;
  /** VIX at the snapshot (index points). */
  vix: number;
  /** `real` (a file of `dataDir`) or `synthetic` (the seeded stand-in). */
  source: "real" | "synthetic";
  /** One sentence saying which. */
  note: string;
}

/**
 * The SPY chain of 2026-02-11 from `dataDir` (`../shared/data`) with VIX at its snapshot, or,
 * when the files are absent (a fresh clone), the seeded synthetic chain of
 * `lib/options/synthetic_chain.ts`.
 */
export async function notebookChain(
  dataDir: string,
  options: { seed?: number } = {},
): Promise<NotebookChain> {
  const file = `${dataDir}/SPY-options-chain-2026-02-11.csv`;
  const vixFile = `${dataDir}/VIX-daily-1990-2026.csv`;
  if (exists(file) && exists(vixFile)) {
    const chain = parseOptionChain(
      parseCsv(await Deno.readTextFile(file), { hasHeader: true, file }),
      {
        file,
      },
    );
    const vix = levelAt(await loadDailyIndexCsv(vixFile), chain.snapshotMs);
    return {
      chain,
      vix,
      source: "real",
      note: `real chain ${file} (${chain.quotes.length} quotes, snapshot ${
        new Date(chain.snapshotMs).toISOString()
      }, VIX ${vix.toFixed(2)})`,
    };
  }
  const chain = syntheticOptionChain({ seed: options.seed ?? 1 });
  return {
    chain,
    vix: 17.81,
    source: "synthetic",
    note: `${dataDir} is absent: SEEDED SYNTHETIC chain (the pricer's own quotes with level, ` +
      `expiry and per-quote IV noise; ${chain.quotes.length} quotes) — its errors are the noise put in`,
  };
}

/** Daily underlying closes and VIX closes, and where they came from. */
export interface NotebookDaily {
  dates: string[];
  closes: Float64Array;
  vix: Map<string, number>;
  source: "real" | "synthetic";
  note: string;
}

/**
 * SPY and VIX daily closes since `from` (default 2016-01-01) from `dataDir` when present, else
 * the session closes of the seeded synthetic SPY/VIX market (seed 42, 504 sessions).
 */
export async function notebookDaily(
  dataDir: string,
  options: { from?: string } = {},
): Promise<NotebookDaily> {
  const spy = `${dataDir}/SPY-daily-1993-2026.csv`;
  const vixFile = `${dataDir}/VIX-daily-1990-2026.csv`;
  const from = options.from ?? "2016-01-01";
  if (exists(spy) && exists(vixFile)) {
    const t = parseCsv(await Deno.readTextFile(spy), { hasHeader: true, file: spy });
    const h = t.header ?? [];
    const di = h.indexOf("date");
    const ci = h.indexOf("close");
    const rows = t.rows.filter((r) => r[di] >= from && Number(r[ci]) > 0);
    const v: DailyIndex = await loadDailyIndexCsv(vixFile);
    return {
      dates: rows.map((r) => r[di].slice(0, 10)),
      closes: Float64Array.from(rows, (r) => Number(r[ci])),
      vix: new Map(v.date.map((d, i) => [d, v.close[i]])),
      source: "real",
      note: `real daily SPY and VIX closes from ${from} (${dataDir})`,
    };
  }
  const m = generateSyntheticOptionsMarket({ seed: 42, sessions: 504 });
  const last = new Map<number, number>();
  for (let i = 0; i < m.session.length; i++) last.set(m.session[i], m.market.close[i]);
  const dates = m.sessions.map((s) => s.date);
  return {
    dates,
    closes: Float64Array.from(dates, (_, i) => last.get(i) ?? NaN),
    vix: new Map(m.vixDaily.date.map((d, i) => [d, m.vixDaily.close[i]])),
    source: "synthetic",
    note: `${dataDir} is absent: the SYNTHETIC SPY/VIX market's session closes (seed 42)`,
  };
}

/** Heatmap of one error measure of `chainErrorGrid` (moneyness × tenor). */
export function chainErrorFigure(
  cells: readonly ChainErrorCell[],
  options: { measure?: "priceError" | "relativeError" | "ivError"; title?: string } = {},
): PlotlyFigure {
  const measure = options.measure ?? "priceError";
  const ms = [...new Set(cells.map((c) => c.moneyness))];
  const ts = [...new Set(cells.map((c) => c.tenor))];
  const z = ts.map((t) =>
    ms.map((m) => {
      const c = cells.find((x) => x.moneyness === m && x.tenor === t)!;
      const v = measure === "relativeError" ? 100 * c[measure] : c[measure];
      return Number.isFinite(v) ? v : null;
    })
  );
  const text = ts.map((t) =>
    ms.map((m) => {
      const c = cells.find((x) => x.moneyness === m && x.tenor === t)!;
      return `n=${c.n}`;
    })
  );
  const unit = measure === "priceError"
    ? "median |model − mid|, USD/share"
    : measure === "relativeError"
    ? "median |model − mid| / mid, %"
    : "median |model IV − IV(mid)|, vol points";
  return {
    data: [{
      type: "heatmap",
      x: ms,
      y: ts,
      z,
      text,
      hovertemplate: "%{y} %{x}: %{z:.3f} (%{text})<extra></extra>",
      colorscale: "YlOrRd",
      colorbar: { title: unit },
    }],
    layout: {
      title: options.title ?? `Volatility-model pricing error by moneyness (K/S − 1) and tenor`,
      xaxis: { title: "moneyness K/S − 1 (OTM quotes: puts below, calls above)" },
      yaxis: { title: "calendar days to expiry" },
      height: 380,
    },
  };
}

/** VIX against the realised-volatility fallback and the model's 30-day ATM IV. */
export function volModelFigure(v: VolModelVsVix, options: { title?: string } = {}): PlotlyFigure {
  const line = (name: string, y: Float64Array, color: string) => ({
    type: "scatter",
    mode: "lines",
    name,
    x: v.date,
    y: Array.from(y),
    line: { width: 1.2, color },
  });
  return {
    data: [
      line("VIX close", v.vix, "#d62728"),
      line("from realised vol (100 × 1.3116 × σ21d)", v.fromRealised, "#1f77b4"),
      line("model 30-day ATM IV of SPY at VIX", v.atm30, "#2ca02c"),
    ],
    layout: {
      title: options.title ??
        `Volatility model vs VIX (median VIX / fallback ${v.medianRatio.toFixed(2)}, corr ${
          v.correlation.toFixed(2)
        })`,
      xaxis: { type: "date" },
      yaxis: { title: "index points / vol points" },
      height: 400,
      legend: { orientation: "h" },
    },
  };
}

/**
 * One episode in four panels: the underlying with the side held (call green, put red), the
 * held option's mid premium, its delta and theta per trading day (per share), and the
 * cumulative reward terms.
 */
export function optionsEpisodeFigure(
  ep: OptionsEpisode,
  options: { title?: string; maxSteps?: number } = {},
): PlotlyFigure {
  const n = Math.min(ep.steps, options.maxSteps ?? ep.steps);
  const x = Array.from(ep.time.subarray(0, n), (_, i) => i);
  const pick = (a: Float64Array, f = (v: number) => v) => Array.from(a.subarray(0, n), f);
  const mask = (side: number) =>
    Array.from(ep.price.subarray(0, n), (p, i) => (ep.position[i] === side ? p : null));
  const cum = (a: Float64Array) => {
    let s = 0;
    return Array.from(a.subarray(0, n), (v) => (s += v));
  };
  const tr = (name: string, y: (number | null)[], axis: string, color: string, extra = {}) => ({
    type: "scatter",
    mode: "lines",
    name,
    x,
    y,
    xaxis: "x",
    yaxis: axis,
    line: { width: 1.2, color },
    ...extra,
  });
  return {
    data: [
      tr("underlying", pick(ep.price), "y", "#7f7f7f"),
      tr("holding a call", mask(1), "y", "#2ca02c", { line: { width: 3, color: "#2ca02c" } }),
      tr("holding a put", mask(-1), "y", "#d62728", { line: { width: 3, color: "#d62728" } }),
      tr("mid premium (USD/share)", pick(ep.premium, (v) => (v > 0 ? v : NaN)), "y2", "#9467bd"),
      tr("delta", pick(ep.delta), "y3", "#1f77b4"),
      tr("theta per trading day (USD/share)", pick(ep.theta, (v) => v / 252), "y3", "#ff7f0e"),
      tr("Σ pnl", cum(ep.rewardPnl), "y4", "#1f77b4"),
      tr("Σ direction", cum(ep.rewardDirection), "y4", "#2ca02c"),
      tr("Σ whipsaw", cum(ep.rewardWhipsaw), "y4", "#d62728"),
      tr("Σ early exit", cum(ep.rewardEarlyExit), "y4", "#bcbd22"),
      tr("Σ time decay", cum(ep.rewardTimeDecay), "y4", "#8c564b"),
    ],
    layout: {
      title: options.title ?? `${ep.name}: one episode (${n} bars)`,
      grid: { rows: 4, columns: 1, shared_xaxes: true },
      xaxis: { title: "step (5-minute RTH bar)" },
      yaxis: { title: "underlying", domain: [0.76, 1] },
      yaxis2: { title: "premium", domain: [0.52, 0.72] },
      yaxis3: { title: "Greeks", domain: [0.27, 0.48] },
      yaxis4: { title: "Σ reward", domain: [0, 0.23] },
      height: 820,
      legend: { orientation: "h" },
    },
  };
}

/** Equity curves of recorded episodes (one chart). */
export function optionsEquityFigure(
  episodes: readonly OptionsEpisode[],
  options: { title?: string } = {},
): PlotlyFigure {
  return equityFigure(
    episodes.map((e) => ({ name: e.name, time: e.equityTime, equity: e.equity })),
    { title: options.title ?? "Equity on the split (USD)" },
  );
}

/** Comparison rows of recorded episodes: return, Sharpe, trades, whipsaws, win-free counts. */
export function optionsComparisonRows(
  episodes: readonly OptionsEpisode[],
  periodsPerYear: number,
): Record<string, unknown>[] {
  return episodes.map((e) => {
    const s = e.equity.length > 2 ? sharpeRatio(simpleReturns(e.equity), periodsPerYear) : null;
    return {
      policy: e.name,
      "return %": +(100 * e.totalReturn).toFixed(2),
      "Sharpe (ann.)": s === null || !Number.isFinite(s) ? "n/a" : +s.toFixed(2),
      trades: e.trades,
      whipsaws: e.whipsaws,
      "final equity": +e.equity[e.equity.length - 1].toFixed(2),
      "reward sum": +e.reward.reduce((a, b) => a + b, 0).toFixed(2),
    };
  });
}
