/**
 * Table rows (for {@link showTable}) summarising a market-data validation report: one row
 * per check, and one row per listed gap.
 *
 * @module
 */
import type { ValidationReport } from "../data/mod.ts";

/** One row of {@link validationRows}. */
export interface CheckRow extends Record<string, unknown> {
  /** What was checked. */
  check: string;
  /** The measured value. */
  value: string | number;
  /** "ok", "warning" (gaps, expected NaN) or "ERROR". */
  status: string;
}

/**
 * One row per check of a {@link ValidationReport}: size and span, interval, gaps (count,
 * missing bars, largest and where), duplicates, ordering, grid alignment, OHLC consistency,
 * prices, volume, NaN/inf per column, filled bars. Gaps are a warning, not an error.
 */
export function validationRows(report: ValidationReport): CheckRow[] {
  const st = (bad: number, level: "ERROR" | "warning" = "ERROR") => (bad > 0 ? level : "ok");
  const g = report.gaps;
  const largest = g.largestAt
    ? `${g.largest} bars (after ${g.largestAt.after}, before ${g.largestAt.before})`
    : "none";
  const fmtCounts = (c: Record<string, number>) =>
    Object.entries(c).filter(([, v]) => v > 0).map(([k, v]) => `${k}: ${v}`).join(", ") ||
    "none";
  const nanBad = Object.entries(report.nanCounts)
    .filter(([k, v]) => v > 0 && k !== "fundingRate" && k !== "openInterest").length;
  const nanExpected = (report.nanCounts.fundingRate ?? 0) + (report.nanCounts.openInterest ?? 0);
  const inf = Object.values(report.infCounts).reduce((s, v) => s + v, 0);
  return [
    { check: "rows", value: report.rows, status: report.rows > 0 ? "ok" : "ERROR" },
    { check: "first bar (open, UTC)", value: report.first ?? "", status: "ok" },
    { check: "last bar (open, UTC)", value: report.last ?? "", status: "ok" },
    { check: "interval", value: report.interval, status: "ok" },
    { check: "gaps", value: g.count, status: st(g.count, "warning") },
    { check: "missing bars", value: g.missingBars, status: st(g.missingBars, "warning") },
    { check: "largest gap", value: largest, status: st(g.largest, "warning") },
    { check: "duplicate times", value: report.duplicates, status: st(report.duplicates) },
    { check: "non-increasing times", value: report.nonMonotonic, status: st(report.nonMonotonic) },
    { check: "off-grid times", value: report.misaligned, status: st(report.misaligned) },
    {
      check: "OHLC inconsistent bars",
      value: report.ohlcInconsistent,
      status: st(report.ohlcInconsistent),
    },
    {
      check: "non-positive prices",
      value: report.nonPositivePrices,
      status: st(report.nonPositivePrices),
    },
    { check: "negative volume", value: report.negativeVolume, status: st(report.negativeVolume) },
    {
      check: "NaN per column",
      value: fmtCounts(report.nanCounts),
      status: nanBad > 0 ? "ERROR" : nanExpected > 0 ? "ok (expected)" : "ok",
    },
    { check: "±inf per column", value: fmtCounts(report.infCounts), status: st(inf) },
    { check: "filled (flat) bars", value: report.filledBars, status: "ok" },
    { check: "valid", value: report.ok ? "yes" : "no", status: report.ok ? "ok" : "ERROR" },
  ];
}

/** One row of {@link gapRows}. */
export interface GapRow extends Record<string, unknown> {
  /** Open time of the last bar before the gap (ISO UTC). */
  after: string;
  /** Open time of the first bar after the gap (ISO UTC). */
  before: string;
  /** Bars missing in the gap. */
  missing_bars: number;
  /** Index of the first bar after the gap. */
  index: number;
}

/** The listed gaps of a report (the first `maxListed` of the validation), one row each. */
export function gapRows(report: ValidationReport): GapRow[] {
  return report.gaps.where.map((w) => ({
    after: w.after,
    before: w.before,
    missing_bars: w.missingBars,
    index: w.index,
  }));
}
