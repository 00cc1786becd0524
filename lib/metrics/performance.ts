/**
 * One summary of a strategy's run: equity-curve statistics (empyrical definitions), exposure,
 * turnover and trade-ledger statistics.
 *
 * @module
 */
import { ConfigError, DataError } from "../util/mod.ts";
import {
  annualReturn,
  annualVolatility,
  calmarRatio,
  checkEquityCurve,
  drawdownStats,
  sharpeRatio,
  simpleReturns,
  sortinoRatio,
  totalReturn,
} from "./returns.ts";
import { type TradeRecord, type TradeStats, tradeStats } from "./trades.ts";
import {
  REPORTING_DEFAULTS,
  type ReportingRules,
  shortWindowText,
  tooFewTradesText,
  windowNote,
} from "./reporting.ts";

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
 *
 * Bad input throws a typed error naming the parameter: a {@link DataError} for an equity
 * curve that is not one (see `checkEquityCurve`: first value > 0, every value finite and
 * ≥ 0, so a returns array is rejected), non-finite positions or trade PnL fields; a
 * {@link ConfigError} for a missing input object, `periodsPerYear` ≤ 0, a negative
 * `intervalMs`, `tradedNotional`, or a `trades` value that is not an array.
 */
export function computePerformance(
  input: PerformanceInput,
  options: PerformanceOptions,
): PerformanceMetrics {
  checkPerformanceInput(input, options);
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

function checkPerformanceInput(input: PerformanceInput, options: PerformanceOptions): void {
  const fn = "computePerformance";
  if (input === null || typeof input !== "object") {
    throw new ConfigError(`${fn}: input must be an object { equity, … }, got ${input}`, {
      parameter: "input",
    });
  }
  if (options === null || typeof options !== "object") {
    throw new ConfigError(`${fn}: options must be an object { periodsPerYear }, got ${options}`, {
      parameter: "options",
    });
  }
  const P = options.periodsPerYear;
  if (typeof P !== "number" || !(P > 0) || !Number.isFinite(P)) {
    throw new ConfigError(
      `${fn}: periodsPerYear must be a positive number, got ${P}`,
      { parameter: "periodsPerYear" },
      'use periodsPerYear(interval, calendar) from lib/util, e.g. periodsPerYear("5m", "crypto")',
    );
  }
  const iv = options.intervalMs;
  if (iv !== undefined && !(typeof iv === "number" && Number.isFinite(iv) && iv >= 0)) {
    throw new ConfigError(`${fn}: intervalMs must be a finite number ≥ 0, got ${iv}`, {
      parameter: "intervalMs",
    });
  }
  checkEquityCurve(input.equity, fn);
  const pos = input.position;
  if (pos !== undefined) {
    if (pos === null || typeof pos !== "object" || typeof pos.length !== "number") {
      throw new DataError(`${fn}: position must be an array of numbers, got ${pos}`, {
        parameter: "position",
      });
    }
    for (let i = 0; i < pos.length; i++) {
      if (typeof pos[i] !== "number" || !Number.isFinite(pos[i])) {
        throw new DataError(`${fn}: position at index ${i} is ${pos[i]}`, {
          row: i + 1,
          parameter: "position",
        });
      }
    }
  }
  for (const k of ["tradedNotional", "feesPaid", "fundingPaid"] as const) {
    const v = input[k];
    if (v !== undefined && !(typeof v === "number" && Number.isFinite(v))) {
      throw new ConfigError(`${fn}: ${k} must be a finite number, got ${v}`, { parameter: k });
    }
  }
  if (input.tradedNotional !== undefined && input.tradedNotional < 0) {
    throw new ConfigError(
      `${fn}: tradedNotional must be ≥ 0 (Σ |size × price|), got ${input.tradedNotional}`,
      { parameter: "tradedNotional" },
    );
  }
  if (input.trades !== undefined && !Array.isArray(input.trades)) {
    throw new ConfigError(`${fn}: trades must be an array of trade records`, {
      parameter: "trades",
    });
  }
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
 * notebooks and reports (undefined values shown as "n/a"), under the reporting rules
 * (`REPORTING_DEFAULTS`, overridable): the annualised ratios say the window they were measured
 * on, the CAGR and Calmar read `n/a (window < 1 year)` on shorter windows, and win rate,
 * profit factor and payoff read `n/a (too few trades)` below the minimum trade count.
 */
export function performanceRows(
  m: PerformanceMetrics,
  rules: Partial<ReportingRules> = {},
): { metric: string; value: string }[] {
  const r = { ...REPORTING_DEFAULTS, ...rules };
  const t = m.trades;
  const days = m.periodsPerYear > 0 ? (m.bars / m.periodsPerYear) * 365 : 0;
  const window = ` (${windowNote(days)})`;
  const annualOk = days >= r.minAnnualiseDays;
  const shortYear = shortWindowText("1 year", days);
  const enough = t.trades >= r.minTrades;
  const few = tooFewTradesText(t.trades, r.minTrades);
  const pf = !enough
    ? few
    : t.grossLoss === 0 && t.grossProfit > 0
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
      value: annualOk ? fmtPct(m.annualReturn) : shortYear,
    },
    { metric: `annualised volatility${window}`, value: fmtPct(m.annualVolatility) },
    { metric: `Sharpe (annualised, rf 0; ${windowNote(days)})`, value: fmtNum(m.sharpe) },
    { metric: `Sortino (annualised; ${windowNote(days)})`, value: fmtNum(m.sortino) },
    { metric: "Calmar", value: annualOk ? fmtNum(m.calmar) : shortYear },
    { metric: "max drawdown", value: fmtPct(m.maxDrawdown) },
    {
      metric: "longest drawdown",
      value: `${m.maxDrawdownDurationBars} bars (${fmtDuration(m.maxDrawdownDurationMs)})`,
    },
    { metric: "exposure (bars in a position)", value: fmtPct(m.exposure, 1) },
    { metric: "turnover (traded notional / mean equity)", value: fmtNum(m.turnover) },
    { metric: "trades (long / short)", value: `${t.trades} (${t.longTrades} / ${t.shortTrades})` },
    { metric: "win rate", value: enough ? fmtPct(t.winRate, 1) : few },
    { metric: "profit factor (gross profit / gross loss)", value: pf },
    { metric: "payoff ratio (avg win / avg loss)", value: enough ? fmtNum(t.payoffRatio) : few },
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
