/**
 * Display rows (plain objects for `showTable`) of backtest results: trades, the bootstrap
 * tests, the comparison table and walk-forward folds. Money in quote currency; fractions
 * shown in percent with the unit in the column name.
 *
 * @module
 */
import type {
  BacktestResult,
  BaselineComparison,
  ComparisonRow,
  WalkForwardReport,
} from "../backtest/mod.ts";
import { SHORT_WINDOW_TEXT } from "../metrics/mod.ts";
import type { TableRows } from "./display.ts";

function r2(x: number | null | undefined, d = 2): number | null {
  return x === null || x === undefined || !Number.isFinite(x) ? null : +x.toFixed(d);
}
function pct(x: number | null | undefined, d = 2): number | null {
  return x === null || x === undefined || !Number.isFinite(x) ? null : +(x * 100).toFixed(d);
}

/** Columns of {@link tradeRows} (also shown, with a "no trades" row, when there are none). */
export const TRADE_COLUMNS: readonly string[] = Object.freeze([
  "#",
  "side",
  "entry",
  "exit",
  "bars",
  "size",
  "entry_price",
  "exit_price",
  "fees",
  "funding",
  "pnl",
  "reason",
]);

/**
 * The trade ledger as rows (first `limit` trades, default 50). Times ISO UTC. Carries its
 * columns and an empty-table text, so `showTable` draws a run without trades as the header
 * and one "no trades" row.
 */
export function tradeRows(result: BacktestResult, limit = 50): TableRows {
  const rows = result.trades.slice(0, limit).map((t, i) => ({
    "#": i + 1,
    side: t.side === 1 ? "long" : "short",
    entry: new Date(t.entryTime).toISOString().slice(0, 16).replace("T", " "),
    exit: new Date(t.exitTime).toISOString().slice(0, 16).replace("T", " "),
    bars: t.exitBar - t.entryBar,
    size: +t.size.toPrecision(5),
    entry_price: r2(t.entryPrice),
    exit_price: r2(t.exitPrice),
    fees: r2(t.fees, 4),
    funding: r2(t.funding, 4),
    pnl: r2(t.pnl, 4),
    reason: t.exitReason ?? "",
  }));
  return Object.assign(rows, { columns: [...TRADE_COLUMNS], emptyText: "no trades" });
}

const FEW = "n/a (too few trades)";

/**
 * {@link ComparisonRow}s as display rows (percent columns marked `%`); trade ratios withheld
 * below the minimum trade count and the CAGR on windows under a year read `n/a (…)`.
 */
export function comparisonRows(rows: readonly ComparisonRow[]): Record<string, unknown>[] {
  return rows.map((r) => ({
    strategy: r.name + (r.ruined ? " (ruined)" : ""),
    "return %": pct(r.totalReturn),
    "CAGR %": r.annualReturn === null && r.windowDays !== undefined
      ? SHORT_WINDOW_TEXT
      : pct(r.annualReturn),
    Sharpe: r2(r.sharpe),
    Sortino: r2(r.sortino),
    "max DD %": pct(r.maxDrawdown),
    trades: r.trades,
    "win rate %": r.fewTrades ? FEW : pct(r.winRate, 1),
    "profit factor": r.fewTrades
      ? FEW
      : r.profitFactor === null && r.winRate === 1
      ? "∞"
      : r2(r.profitFactor),
    "payoff ratio": r.fewTrades ? FEW : r2(r.payoffRatio),
    "exposure %": pct(r.exposure, 1),
    fees: r2(r.feesPaid),
    funding: r2(r.fundingPaid),
    targets: `${r.targetsMet}/${r.targetsTotal}`,
  }));
}

/** The bootstrap tests of {@link BaselineComparison} as rows. */
export function bootstrapRows(c: BaselineComparison): Record<string, unknown>[] {
  return c.tests.map(({ name, test: t }) => ({
    run: name,
    "Sharpe RL": r2(t.sharpeA),
    "Sharpe baseline": r2(t.sharpeB),
    difference: r2(t.difference),
    [`${Math.round(t.confidence * 100)} % CI`]: `[${t.ciLow.toFixed(2)}, ${t.ciHigh.toFixed(2)}]`,
    "p-value": +t.pValue.toFixed(4),
    "block (bars)": r2(t.meanBlockLength, 1),
    resamples: t.samples,
  }));
}

/** Walk-forward folds as rows: test Sharpe and return of the trained policy and each reference. */
export function walkForwardRows(report: WalkForwardReport): Record<string, unknown>[] {
  return report.folds.map((f) => {
    const row: Record<string, unknown> = {
      fold: f.fold,
      "RL Sharpe": r2(f.rl.sharpe),
      "RL return %": pct(f.rl.totalReturn),
      "RL trades": f.rl.trades.trades,
    };
    for (const [name, m] of Object.entries(f.references)) {
      row[`${name} Sharpe`] = r2(m.sharpe);
      row[`${name} return %`] = pct(m.totalReturn);
    }
    return row;
  });
}
