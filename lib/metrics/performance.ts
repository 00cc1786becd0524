/**
 * One summary of a strategy's run: equity-curve statistics (empyrical definitions), exposure,
 * turnover and trade-ledger statistics.
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";
import {
  annualReturn,
  annualVolatility,
  calmarRatio,
  drawdownStats,
  sharpeRatio,
  simpleReturns,
  sortinoRatio,
  totalReturn,
} from "./returns.ts";
import { type TradeRecord, type TradeStats, tradeStats } from "./trades.ts";

/** Inputs of {@link computePerformance}. */
export interface PerformanceInput {
  /**
   * Equity after each bar, INCLUDING the starting capital first: `N + 1` values for `N` bars
   * (quote currency, marked to market).
   */
  equity: ArrayLike<number>;
  /**
   * Signed position size held over each of the `N` bars (contracts; 0 = flat). Used for
   * exposure; omitted → exposure `null`.
   */
  position?: ArrayLike<number>;
  /** Total traded notional over the run, Σ |fill size × fill price| (quote). */
  tradedNotional?: number;
  /** Closed trades. */
  trades?: readonly TradeRecord[];
  /** Fees paid over the run from the account (includes open trades); default: the ledger's. */
  feesPaid?: number;
  /** Funding paid over the run from the account (negative = received); default: the ledger's. */
  fundingPaid?: number;
}

/** Options of {@link computePerformance}. */
export interface PerformanceOptions {
  /** Bars per year, from `periodsPerYear(interval, calendar)`. Required: no silent 252. */
  periodsPerYear: number;
  /** Bar length in ms, for durations in time. Default 0 (unknown). */
  intervalMs?: number;
}

/** Summary statistics. Fractions unless stated; ratios annualised with `periodsPerYear`. */
export interface PerformanceMetrics {
  /** Number of bars N (returns). */
  bars: number;
  /** Bars per year used for annualisation. */
  periodsPerYear: number;
  /** Starting equity (quote). */
  startEquity: number;
  /** Final equity (quote). */
  endEquity: number;
  /** Compounded total return over the run, fraction. */
  totalReturn: number;
  /** CAGR `(1 + total)^(P/N) − 1`, fraction; `null` with no bars or on overflow. */
  annualReturn: number | null;
  /** Sample std of per-bar returns × √P, fraction; `null` with < 2 bars. */
  annualVolatility: number | null;
  /** Annualised Sharpe (rf 0); `null` with < 2 bars or zero variance. */
  sharpe: number | null;
  /** Annualised Sortino (required return 0); `null` with < 2 bars or no losing bar. */
  sortino: number | null;
  /** Annual return / |max drawdown|; `null` with no drawdown. */
  calmar: number | null;
  /** Maximum drawdown of the equity curve from the starting capital on, negative fraction or 0. */
  maxDrawdown: number;
  /** Longest time under water, bars. */
  maxDrawdownDurationBars: number;
  /** Longest time under water, ms. */
  maxDrawdownDurationMs: number;
  /** Fraction of bars with a non-zero position; `null` if positions were not given. */
  exposure: number | null;
  /** Traded notional / mean equity over the run (×, not annualised); `null` if not given. */
  turnover: number | null;
  /** {@link PerformanceMetrics.turnover} × P / N, per year; `null` if not given or N = 0. */
  annualTurnover: number | null;
  /** Fees paid (quote). */
  feesPaid: number;
  /** Funding paid (quote, negative = received). */
  fundingPaid: number;
  /** Trade-ledger statistics. */
  trades: TradeStats;
}

/**
 * Compute {@link PerformanceMetrics} from an equity curve (with the starting capital first),
 * positions and the trade ledger. The max drawdown and Calmar use the equity curve including
 * the starting capital (empyrical's returns-only `max_drawdown` would ignore a loss on the
 * first bars); every other ratio is empyrical's on the per-bar returns. Defined for every
 * input with at least one equity value: a single equity value (no bars) gives zeros and
 * `null` ratios.
 */
export function computePerformance(
  input: PerformanceInput,
  options: PerformanceOptions,
): PerformanceMetrics {
  const { equity } = input;
  if (equity.length < 1) {
    throw new ConfigError(
      "computePerformance: the equity curve is empty",
      { parameter: "equity" },
      "pass at least the starting capital",
    );
  }
  const P = options.periodsPerYear;
  const intervalMs = options.intervalMs ?? 0;
  const r = simpleReturns(equity);
  const n = r.length;
  const dd = drawdownStats(equity, intervalMs);
  let exposure: number | null = null;
  if (input.position) {
    const m = Math.min(n, input.position.length);
    let k = 0;
    for (let i = 0; i < m; i++) if (input.position[i] !== 0) k++;
    exposure = m > 0 ? k / m : 0;
  }
  let turnover: number | null = null;
  let annualTurnover: number | null = null;
  if (input.tradedNotional !== undefined) {
    let s = 0;
    for (let i = 0; i < equity.length; i++) s += equity[i];
    const meanEq = s / equity.length;
    turnover = meanEq > 0 ? input.tradedNotional / meanEq : 0;
    annualTurnover = n > 0 ? (turnover * P) / n : null;
  }
  const ts = tradeStats(input.trades ?? []);
  return {
    bars: n,
    periodsPerYear: P,
    startEquity: equity[0],
    endEquity: equity[equity.length - 1],
    totalReturn: totalReturn(r),
    annualReturn: annualReturn(r, P),
    annualVolatility: annualVolatility(r, P),
    sharpe: sharpeRatio(r, P),
    sortino: sortinoRatio(r, P),
    calmar: calmarRatio(r, P, { maxDrawdown: dd.maxDrawdown }),
    maxDrawdown: dd.maxDrawdown,
    maxDrawdownDurationBars: dd.maxDurationBars,
    maxDrawdownDurationMs: dd.maxDurationMs,
    exposure,
    turnover,
    annualTurnover,
    feesPaid: input.feesPaid ?? ts.feesPaid,
    fundingPaid: input.fundingPaid ?? ts.fundingPaid,
    trades: ts,
  };
}

function fmtPct(x: number | null, d = 2): string {
  return x === null || !Number.isFinite(x) ? "n/a" : `${(x * 100).toFixed(d)} %`;
}
function fmtNum(x: number | null, d = 2): string {
  return x === null || !Number.isFinite(x) ? "n/a" : x.toFixed(d);
}
function fmtDuration(ms: number): string {
  if (!(ms > 0)) return "0";
  const h = ms / 3_600_000;
  return h >= 48 ? `${(h / 24).toFixed(1)} days` : `${h.toFixed(1)} h`;
}

/**
 * Shortest window, in years, over which a compounded annual figure (CAGR, and the Calmar
 * ratio built on it) is shown: compounding a 27-day return to a year turns +4 % into
 * +70 % and a lucky month into "346,366 %". Scaled annualisations (volatility, Sharpe,
 * Sortino: × √periods per year) are shown for any window, as is the convention.
 */
export const MIN_YEARS_FOR_CAGR = 1;

/** What a table shows instead of a compounded annual figure over a window under a year. */
export const SHORT_WINDOW_TEXT = "n/a (window < 1 year)";

/** The metrics' window in years (bars / bars per year). */
export function windowYears(m: Pick<PerformanceMetrics, "bars" | "periodsPerYear">): number {
  return m.periodsPerYear > 0 ? m.bars / m.periodsPerYear : 0;
}

/**
 * {@link PerformanceMetrics} as display rows `{ metric, value }` with units, for tables in
 * notebooks and reports (undefined values shown as "n/a").
 */
export function performanceRows(m: PerformanceMetrics): { metric: string; value: string }[] {
  const t = m.trades;
  const pf = t.grossLoss === 0 && t.grossProfit > 0
    ? "∞ (no losing trade)"
    : fmtNum(t.profitFactor);
  return [
    { metric: "bars", value: String(m.bars) },
    {
      metric: "start → end equity",
      value: `${m.startEquity.toFixed(2)} → ${m.endEquity.toFixed(2)}`,
    },
    { metric: "total return", value: fmtPct(m.totalReturn) },
    {
      metric: "annualised return (CAGR)",
      value: windowYears(m) < MIN_YEARS_FOR_CAGR ? SHORT_WINDOW_TEXT : fmtPct(m.annualReturn),
    },
    { metric: "annualised volatility", value: fmtPct(m.annualVolatility) },
    { metric: "Sharpe (annualised, rf 0)", value: fmtNum(m.sharpe) },
    { metric: "Sortino (annualised)", value: fmtNum(m.sortino) },
    {
      metric: "Calmar",
      value: windowYears(m) < MIN_YEARS_FOR_CAGR ? SHORT_WINDOW_TEXT : fmtNum(m.calmar),
    },
    { metric: "max drawdown", value: fmtPct(m.maxDrawdown) },
    {
      metric: "longest drawdown",
      value: `${m.maxDrawdownDurationBars} bars (${fmtDuration(m.maxDrawdownDurationMs)})`,
    },
    { metric: "exposure (bars in a position)", value: fmtPct(m.exposure, 1) },
    { metric: "turnover (traded notional / mean equity)", value: fmtNum(m.turnover) },
    { metric: "trades (long / short)", value: `${t.trades} (${t.longTrades} / ${t.shortTrades})` },
    { metric: "win rate", value: fmtPct(t.winRate, 1) },
    { metric: "profit factor (gross profit / gross loss)", value: pf },
    { metric: "payoff ratio (avg win / avg loss)", value: fmtNum(t.payoffRatio) },
    { metric: "expectancy (net PnL per trade)", value: fmtNum(t.expectancy) },
    {
      metric: "average holding time",
      value: t.avgHoldingBars === null
        ? "n/a"
        : `${t.avgHoldingBars.toFixed(1)} bars (${fmtDuration(t.avgHoldingMs ?? 0)})`,
    },
    { metric: "fees paid", value: m.feesPaid.toFixed(2) },
    { metric: "funding paid (− = received)", value: m.fundingPaid.toFixed(2) },
  ];
}
