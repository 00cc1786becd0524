/**
 * Reporting rules that keep a table from flattering a strategy: ratios of the trade ledger
 * (win rate, profit factor, payoff) need a minimum number of trades, a "6-month return" needs
 * a window of at least six months, and an annualised return (CAGR) needs a window of at least
 * a year (the GIPS convention: returns for periods under one year are not annualised).
 * Annualised RATIOS (Sharpe, Sortino) scale a per-bar ratio by √(bars per year) and are shown
 * with the window they were measured on.
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";

const DAY_MS = 86_400_000;

/** The thresholds of the reporting rules. */
export interface ReportingRules {
  /** Win rate, profit factor and payoff need at least this many closed trades. Default 30. */
  minTrades: number;
  /** The "6-month return" needs a window of at least this many days. Default 182.5. */
  sixMonthDays: number;
  /** An annualised return (CAGR, Calmar) needs a window of at least this many days. Default 365. */
  minAnnualiseDays: number;
}

/** The default reporting rules. */
export const REPORTING_DEFAULTS: Readonly<ReportingRules> = Object.freeze({
  minTrades: 30,
  sixMonthDays: 182.5,
  minAnnualiseDays: 365,
});

/** The rules with `overrides` applied, validated (a {@link ConfigError} names the field). */
export function reportingRules(overrides: Partial<ReportingRules> = {}): ReportingRules {
  const r = { ...REPORTING_DEFAULTS, ...overrides };
  if (!Number.isInteger(r.minTrades) || r.minTrades < 1) {
    throw new ConfigError(`minTrades must be an integer ≥ 1, got ${r.minTrades}`, {
      parameter: "minTrades",
    });
  }
  for (const k of ["sixMonthDays", "minAnnualiseDays"] as const) {
    if (!(r[k] > 0) || !Number.isFinite(r[k])) {
      throw new ConfigError(`${k} must be a positive number of days, got ${r[k]}`, {
        parameter: k,
      });
    }
  }
  return r;
}

/** Length of a curve's window in days: (last − first time) / 1 day; 0 for < 2 points. */
export function windowDays(time: ArrayLike<number>): number {
  return time.length > 1 ? (time[time.length - 1] - time[0]) / DAY_MS : 0;
}

/** `"measured on 27.0 days"` (the window an annualised figure comes from). */
export function windowNote(days: number): string {
  return `measured on ${days.toFixed(1)} days`;
}

/** `"n/a (too few trades: 2 < 30)"`. */
export function tooFewTradesText(trades: number, minTrades: number): string {
  return `n/a (too few trades: ${trades} < ${minTrades})`;
}

/** `"n/a (window < 6 months: 27.0 days)"`-style text for a window shorter than `minDays`. */
export function shortWindowText(label: string, days: number): string {
  return `n/a (window < ${label}: ${days.toFixed(1)} days)`;
}
