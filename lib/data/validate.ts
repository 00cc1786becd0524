/**
 * Validation of market data: time axis (strictly increasing, unique, regular interval, gaps),
 * OHLC consistency, positive prices, NaN / ±inf counts; and gap filling with flagged flat
 * bars. Every issue names the file, row and column it was found at.
 *
 * @module
 */
import { DataError, msToInterval } from "../util/mod.ts";
import type { MarketData } from "./market_data.ts";
import { formatUtc, type RowSource } from "./table.ts";

/** One problem found by validation. */
export interface ValidationIssue {
  /** Issue type. */
  kind:
    | "non_monotonic"
    | "duplicate"
    | "gap"
    | "misaligned"
    | "nan"
    | "inf"
    | "non_positive_price"
    | "ohlc_inconsistent"
    | "negative_volume";
  /** Human-readable description. */
  message: string;
  /** Bar index in the data (0-based). */
  index: number;
  /** Source file, when known. */
  file?: string;
  /** 1-based data row in the source file (or bar index + 1 when no file is known). */
  row: number;
  /** Column name. */
  column: string;
}

/** A gap in the time axis: bars missing between `index − 1` and `index`. */
export interface GapInfo {
  /** Index of the first bar AFTER the gap. */
  index: number;
  /** Open time of the last bar before the gap (ISO UTC). */
  after: string;
  /** Open time of the first bar after the gap (ISO UTC). */
  before: string;
  /** Number of missing bars. */
  missingBars: number;
}

/** Result of {@link validateMarketData} / {@link validateTimeAxis}. */
export interface ValidationReport {
  /** True when there is no error-level issue (gaps alone do not make data invalid). */
  ok: boolean;
  rows: number;
  /** Interval the checks used (given or detected), e.g. `"5m"`. */
  interval: string;
  intervalMs: number;
  /** First and last bar open time, ISO-8601 UTC (null when empty). */
  first: string | null;
  last: string | null;
  gaps: {
    /** Number of gaps. */
    count: number;
    /** Total missing bars. */
    missingBars: number;
    /** Largest gap, in missing bars. */
    largest: number;
    /** Where the largest gap is (null when none). */
    largestAt: GapInfo | null;
    /** The first `maxListed` gaps. */
    where: GapInfo[];
  };
  /** Rows whose time equals the previous row's. */
  duplicates: number;
  /** Rows whose time is before the previous row's. */
  nonMonotonic: number;
  /** Rows whose time is not on the interval grid of the first row. */
  misaligned: number;
  /** Bars with high < max(open, close), low > min(open, close) or high < low. */
  ohlcInconsistent: number;
  /**
   * Bars whose OHLC inconsistency is within `relTolerance` (float rounding): counted here,
   * not in `ohlcInconsistent`, and not an error. Present only when `relTolerance` is given.
   */
  ohlcRounding?: number;
  /** Bars with a price ≤ 0. */
  nonPositivePrices: number;
  /** Bars with negative volume. */
  negativeVolume: number;
  /** NaN count per column (funding NaN on non-settlement bars is expected and not an error). */
  nanCounts: Record<string, number>;
  /** ±Infinity count per column. */
  infCounts: Record<string, number>;
  /** Bars flagged as filled (synthetic flat bars). */
  filledBars: number;
  /** Error-level issues, first `maxListed`. */
  issues: ValidationIssue[];
}

/** Options of {@link validateMarketData}. */
export interface ValidateOptions {
  /** Where each bar came from (from the loaders), to name file and row in issues. */
  source?: RowSource;
  /** A file name for all bars when `source` is absent. */
  file?: string;
  /** How many gaps / issues to list. Default 20. */
  maxListed?: number;
  /**
   * Columns where NaN is an error. Default: open, high, low, close, volume. NaN in
   * openInterest (unknown) and fundingRate (no settlement in the bar) is counted, not an error.
   */
  nanIsError?: string[];
  /**
   * Relative tolerance of the OHLC consistency check (e.g. 1e-12): a violation smaller than
   * `relTolerance × max(|open|, |high|, |low|, |close|)` is float rounding, counted in
   * `ohlcRounding`. Default 0 (exact).
   */
  relTolerance?: number;
}

const PRICE_COLS = ["open", "high", "low", "close"] as const;

/**
 * Check market data and report every problem (never throws; see {@link assertValid} and
 * {@link prepareMarketData} for enforcing). Counts are exact; lists are capped at
 * `maxListed`.
 */
export function validateMarketData(
  md: MarketData,
  options: ValidateOptions = {},
): ValidationReport {
  const cols: Record<string, Float64Array> = {
    open: md.open,
    high: md.high,
    low: md.low,
    close: md.close,
    volume: md.volume,
  };
  if (md.openInterest) cols.openInterest = md.openInterest;
  if (md.fundingRate) cols.fundingRate = md.fundingRate;
  const report = validateTimeAxis(md.time, {
    ...options,
    intervalMs: md.intervalMs,
    columns: cols,
    nanIsError: options.nanIsError ?? ["open", "high", "low", "close", "volume"],
  });
  const max = options.maxListed ?? 20;
  const loc = locator(options, "");
  const n = md.time.length;
  const { open, high, low, close, volume } = md;
  const tol = options.relTolerance ?? 0;
  if (tol > 0) report.ohlcRounding = 0;
  for (let i = 0; i < n; i++) {
    const o = open[i], h = high[i], l = low[i], c = close[i];
    let np = false;
    for (const k of PRICE_COLS) {
      const v = cols[k][i];
      if (v <= 0) {
        if (!np) report.nonPositivePrices++;
        np = true;
        if (report.issues.length < max) {
          report.issues.push({
            kind: "non_positive_price",
            message: `${k} price ${v} ≤ 0 at ${formatUtc(md.time[i])}`,
            index: i,
            ...loc(i, k),
          });
        }
      }
    }
    let bad = h < Math.max(o, c) || l > Math.min(o, c) || h < l;
    if (bad && tol > 0) {
      const eps = tol * Math.max(Math.abs(o), Math.abs(h), Math.abs(l), Math.abs(c));
      if (h + eps >= Math.max(o, c) && l - eps <= Math.min(o, c) && h + eps >= l) {
        report.ohlcRounding = (report.ohlcRounding ?? 0) + 1;
        bad = false;
      }
    }
    if (bad) {
      report.ohlcInconsistent++;
      if (report.issues.length < max) {
        const col = h < l ? "high" : h < Math.max(o, c) ? "high" : "low";
        report.issues.push({
          kind: "ohlc_inconsistent",
          message: `OHLC inconsistent at ${
            formatUtc(md.time[i])
          }: open ${o} high ${h} low ${l} close ${c}`,
          index: i,
          ...loc(i, col),
        });
      }
    }
    if (volume[i] < 0) {
      report.negativeVolume++;
      if (report.issues.length < max) {
        report.issues.push({
          kind: "negative_volume",
          message: `volume ${volume[i]} < 0 at ${formatUtc(md.time[i])}`,
          index: i,
          ...loc(i, "volume"),
        });
      }
    }
  }
  if (md.filled) {
    let f = 0;
    for (let i = 0; i < md.filled.length; i++) f += md.filled[i];
    report.filledBars = f;
  }
  report.ok = report.ok && report.ohlcInconsistent === 0 && report.nonPositivePrices === 0 &&
    report.negativeVolume === 0;
  return report;
}

/** Options of {@link validateTimeAxis}. */
export interface TimeAxisOptions extends ValidateOptions {
  /** Expected interval in ms; default: the most common positive spacing. */
  intervalMs?: number;
  /** Value columns whose NaN/inf are counted. */
  columns?: Record<string, Float64Array>;
}

/**
 * Check a time axis (UTC epoch ms) and count NaN/inf in value columns: duplicates,
 * non-monotonic rows, rows off the interval grid and gaps (with missing-bar counts).
 */
export function validateTimeAxis(
  time: Float64Array,
  options: TimeAxisOptions = {},
): ValidationReport {
  const n = time.length;
  const max = options.maxListed ?? 20;
  const intervalMs = options.intervalMs ?? detectIntervalMs(time);
  const loc = locator(options, "");
  const timeCol = "time";
  const r: ValidationReport = {
    ok: true,
    rows: n,
    interval: intervalMs > 0 ? msToInterval(intervalMs) : "unknown",
    intervalMs,
    first: n ? formatUtc(time[0]) : null,
    last: n ? formatUtc(time[n - 1]) : null,
    gaps: { count: 0, missingBars: 0, largest: 0, largestAt: null, where: [] },
    duplicates: 0,
    nonMonotonic: 0,
    misaligned: 0,
    ohlcInconsistent: 0,
    nonPositivePrices: 0,
    negativeVolume: 0,
    nanCounts: {},
    infCounts: {},
    filledBars: 0,
    issues: [],
  };
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(time[i])) {
      r.issues.length < max && r.issues.push({
        kind: "nan",
        message: "time is not a finite number",
        index: i,
        ...loc(i, timeCol),
      });
      r.ok = false;
    }
  }
  for (let i = 1; i < n; i++) {
    const d = time[i] - time[i - 1];
    if (d === 0) {
      r.duplicates++;
      if (r.issues.length < max) {
        r.issues.push({
          kind: "duplicate",
          message: `duplicated bar ${formatUtc(time[i])}`,
          index: i,
          ...loc(i, timeCol),
        });
      }
    } else if (d < 0) {
      r.nonMonotonic++;
      if (r.issues.length < max) {
        r.issues.push({
          kind: "non_monotonic",
          message: `time goes backwards: ${formatUtc(time[i])} after ${formatUtc(time[i - 1])}`,
          index: i,
          ...loc(i, timeCol),
        });
      }
    } else if (intervalMs > 0) {
      if (d % intervalMs !== 0) {
        r.misaligned++;
        if (r.issues.length < max) {
          r.issues.push({
            kind: "misaligned",
            message: `spacing ${d} ms is not a multiple of the ${r.interval} interval at ${
              formatUtc(time[i])
            }`,
            index: i,
            ...loc(i, timeCol),
          });
        }
      }
      if (d > intervalMs) {
        const missing = Math.round(d / intervalMs) - 1;
        if (missing > 0) {
          r.gaps.count++;
          r.gaps.missingBars += missing;
          const g: GapInfo = {
            index: i,
            after: formatUtc(time[i - 1]),
            before: formatUtc(time[i]),
            missingBars: missing,
          };
          if (missing > r.gaps.largest) {
            r.gaps.largest = missing;
            r.gaps.largestAt = g;
          }
          if (r.gaps.where.length < max) r.gaps.where.push(g);
        }
      }
    }
  }
  const nanErr = new Set(options.nanIsError ?? []);
  for (const [name, a] of Object.entries(options.columns ?? {})) {
    let nan = 0;
    let inf = 0;
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (v !== v) {
        nan++;
        if (nanErr.has(name) && r.issues.length < max) {
          r.issues.push({
            kind: "nan",
            message: `${name} is NaN/empty`,
            index: i,
            ...loc(i, name),
          });
        }
      } else if (v === Infinity || v === -Infinity) {
        inf++;
        if (r.issues.length < max) {
          r.issues.push({ kind: "inf", message: `${name} is ${v}`, index: i, ...loc(i, name) });
        }
      }
    }
    r.nanCounts[name] = nan;
    r.infCounts[name] = inf;
    if (inf > 0 || (nan > 0 && nanErr.has(name))) r.ok = false;
  }
  if (r.duplicates || r.nonMonotonic || r.misaligned) r.ok = false;
  return r;
}

/**
 * The most common positive spacing between consecutive times (ms), or 0 when there are
 * fewer than two rows.
 */
export function detectIntervalMs(time: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  const step = Math.max(1, Math.floor(time.length / 5000));
  for (let i = 1; i < time.length; i += step) {
    const d = time[i] - time[i - 1];
    if (d > 0) counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  let best = 0;
  let bestC = 0;
  for (const [d, c] of counts) if (c > bestC || (c === bestC && d < best)) [best, bestC] = [d, c];
  return best;
}

/** Throw a {@link DataError} for the first error-level issue of a report (no-op when ok). */
export function assertValid(report: ValidationReport, what = "market data"): void {
  if (report.ok) return;
  const first = report.issues[0];
  const total = report.duplicates + report.nonMonotonic + report.misaligned +
    report.ohlcInconsistent + report.nonPositivePrices + report.negativeVolume +
    Object.values(report.infCounts).reduce((a, b) => a + b, 0);
  throw new DataError(
    `invalid ${what}: ${first ? first.message : "see report"}${
      total > 1 ? ` (+${total - 1} more issues)` : ""
    }`,
    first ? { file: first.file, row: first.row, column: first.column } : {},
    first?.kind === "duplicate"
      ? 'remove duplicated rows (or load with duplicates: "keep-last")'
      : first?.kind === "non_monotonic"
      ? 'sort the rows by time (or load with unsorted: "sort")'
      : "fix or remove the row",
  );
}

/** Options of {@link prepareMarketData}. */
export interface PrepareOptions extends ValidateOptions {
  /**
   * What to do with gaps: `"keep"` (default; report only), `"reject"` (throw a DataError
   * naming the first gap) or `"fill"` (insert flagged flat bars, see {@link fillGaps}).
   */
  gaps?: "keep" | "reject" | "fill";
  /** Fill at most this many missing bars per gap; longer gaps throw. Default Infinity. */
  maxFill?: number;
}

/**
 * Validate and enforce: throws a {@link DataError} (file, row, column) on any error-level
 * issue, then keeps, rejects or fills gaps. Returns the (possibly filled) data and the
 * report of the input.
 */
export function prepareMarketData(
  md: MarketData,
  options: PrepareOptions = {},
): { market: MarketData; report: ValidationReport } {
  const report = validateMarketData(md, options);
  assertValid(report);
  const policy = options.gaps ?? "keep";
  if (report.gaps.count === 0 || policy === "keep") return { market: md, report };
  if (policy === "reject") {
    const g = report.gaps.where[0];
    throw new DataError(
      `${report.gaps.count} gap(s), ${report.gaps.missingBars} missing bar(s); first: ${g.missingBars} bar(s) missing between ${g.after} and ${g.before}`,
      { ...locator(options, "time")(g.index, "time") },
      'fill them (gaps: "fill") or use data without gaps',
    );
  }
  return { market: fillGaps(md, { maxFill: options.maxFill }), report };
}

/**
 * Insert flat bars into gaps: open = high = low = close = the previous close, volume 0,
 * open interest carried forward (it is as-of data), funding NaN, and `filled = 1`. Existing
 * bars get `filled = 0` (or keep their flag). The time axis must be strictly increasing.
 */
export function fillGaps(md: MarketData, options: { maxFill?: number } = {}): MarketData {
  const n = md.time.length;
  const step = md.intervalMs;
  const maxFill = options.maxFill ?? Infinity;
  let total = n;
  for (let i = 1; i < n; i++) {
    const d = md.time[i] - md.time[i - 1];
    if (d <= 0) {
      throw new DataError("cannot fill gaps: time is not strictly increasing", {
        row: i + 1,
        column: "time",
      }, "validate and de-duplicate first");
    }
    const miss = Math.round(d / step) - 1;
    if (miss > maxFill) {
      throw new DataError(
        `gap of ${miss} bars after ${formatUtc(md.time[i - 1])} exceeds maxFill ${maxFill}`,
        { row: i + 1, column: "time" },
        "split the data at the gap or raise maxFill",
      );
    }
    if (miss > 0) total += miss;
  }
  const mk = () => new Float64Array(total);
  const out: MarketData = {
    symbol: md.symbol,
    interval: md.interval,
    intervalMs: step,
    time: mk(),
    open: mk(),
    high: mk(),
    low: mk(),
    close: mk(),
    volume: mk(),
    openInterest: md.openInterest ? mk() : undefined,
    fundingRate: md.fundingRate ? mk() : undefined,
    filled: new Uint8Array(total),
  };
  let o = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      const miss = Math.round((md.time[i] - md.time[i - 1]) / step) - 1;
      const c = md.close[i - 1];
      for (let k = 1; k <= miss; k++) {
        out.time[o] = md.time[i - 1] + k * step;
        out.open[o] =
          out.high[o] =
          out.low[o] =
          out.close[o] =
            c;
        out.volume[o] = 0;
        if (out.openInterest) out.openInterest[o] = md.openInterest![i - 1];
        if (out.fundingRate) out.fundingRate[o] = NaN;
        out.filled![o] = 1;
        o++;
      }
    }
    out.time[o] = md.time[i];
    out.open[o] = md.open[i];
    out.high[o] = md.high[i];
    out.low[o] = md.low[i];
    out.close[o] = md.close[i];
    out.volume[o] = md.volume[i];
    if (out.openInterest) out.openInterest[o] = md.openInterest![i];
    if (out.fundingRate) out.fundingRate[o] = md.fundingRate![i];
    out.filled![o] = md.filled ? md.filled[i] : 0;
    o++;
  }
  return out;
}

function locator(
  options: ValidateOptions,
  _default: string,
): (i: number, column: string) => { file?: string; row: number; column: string } {
  const src = options.source;
  if (src) {
    return (i, column) => ({ file: src.files[src.fileIndex[i]], row: src.row[i], column });
  }
  return (i, column) => ({ file: options.file, row: i + 1, column });
}
