/**
 * `data:inspect`: what a data file (or folder) holds and what is wrong with it, with noise
 * kept apart from problems. Never modifies the data.
 *
 * - Layout: the detected layout of every file (`layouts.ts`), with the column mapping.
 * - Calendar: `24/7` (crypto) or `us_equity` (NYSE regular sessions, from
 *   `lib/util/us_equity_calendar.ts`; outside its covered years, weekdays). With
 *   `us_equity`, weekends, holidays and the hours outside the session are not gaps: a gap is
 *   a missing SESSION (daily bars) or a missing bar inside a session (intraday). `auto`
 *   (default) picks `us_equity` when no bar falls on a Saturday or Sunday (≥ 20 bars), else
 *   `24/7`.
 * - Tolerances: a time stamp within `jitterMs` (default 1000 ms) of the regular grid is
 *   timestamp jitter (one counted NOTE, snapped to the grid for the gap check), not a
 *   "misaligned" issue; an OHLC inconsistency within `relTolerance` (default 1e-12 relative)
 *   is float rounding (a counted note), not an issue.
 * - Issues (`issues`) are real problems with file, row and column; notes (`notes`) are
 *   counted noise.
 *
 * @module
 */
import { intervalToMs, msToInterval } from "../util/mod.ts";
import { ConfigError } from "../util/mod.ts";
import { type MarketSession, US_EQUITY_CALENDAR_YEARS, usEquitySessions } from "../util/mod.ts";
import { coverageBySplit, type CoverageReport } from "./coverage.ts";
import { loadDataset } from "./dataset.ts";
import { checkFundingScale, checkFundingUnits, type FundingUnits } from "./funding.ts";
import { type ColumnMapping, describeLayout, type TableKind } from "./layouts.ts";
import type { MarketData } from "./market_data.ts";
import { readMarketDataParquet } from "./polars_io.ts";
import {
  generateSyntheticMarket,
  parseSyntheticSource,
  type SyntheticOptions,
} from "./synthetic.ts";
import { formatUtc, readTables, type TimeTable } from "./table.ts";
import {
  detectIntervalMs,
  type GapInfo,
  validateMarketData,
  validateTimeAxis,
  type ValidationIssue,
  type ValidationReport,
} from "./validate.ts";

/** Market calendar of the inspection. */
export type InspectCalendar = "24/7" | "us_equity";

/** A counted piece of noise (not a problem). */
export interface InspectNote {
  /** `timestamp_jitter`, `ohlc_rounding`, `outside_session`, `calendar_fallback`, … */
  kind: string;
  /** How many rows/bars it concerns. */
  count: number;
  message: string;
}

/** Summary of one table. */
export interface InspectSummary {
  /** Detected format: klines, metrics, oi, funding, ohlcv, parquet or synthetic. */
  format: TableKind | "parquet" | "synthetic";
  /** Detected layout, one line per distinct layout (see `describeLayout`). */
  layout: string[];
  /** Number of files read. */
  files: number;
  symbol: string | null;
  rows: number;
  /** First / last row time, ISO-8601 UTC. */
  first: string | null;
  last: string | null;
  /** Interval used (given, or the most common spacing after jitter rounding), e.g. `"5m"`. */
  interval: string;
  /** Calendar used for gaps. */
  calendar: InspectCalendar;
  gaps: {
    count: number;
    missingBars: number;
    largest: number;
    largestAt: GapInfo | null;
    where: GapInfo[];
  };
  duplicates: number;
  nonMonotonic: number;
  /** Rows off the interval grid by MORE than the jitter tolerance. */
  misaligned: number;
  /** Bars (klines/ohlcv/parquet only) with inconsistent OHLC beyond rounding, or price ≤ 0. */
  ohlcInconsistent?: number;
  nonPositivePrices?: number;
  /** Columns present (source names; time column first). */
  columns: string[];
  nanCounts: Record<string, number>;
  infCounts: Record<string, number>;
  /** First few real problems with file, row and column. */
  issues: ValidationIssue[];
  /** Counted noise (jitter, rounding, …), separate from `issues`. */
  notes: InspectNote[];
  /** Funding interval and units check (funding tables). */
  funding?: FundingUnits;
}

/** The report of `deno task data:inspect`. */
export interface InspectReport extends InspectSummary {
  /** What was inspected. */
  path: string;
  /** Other tables found in the same folder (e.g. metrics and funding next to klines). */
  others?: Partial<Record<TableKind, InspectSummary>>;
  /** The `--oi` file, when given. */
  oi?: InspectSummary;
  /** The `--funding` file, when given. */
  fundingFile?: InspectSummary;
  /**
   * Share of bars with OI / funding over the whole period (`all`), when bars and an OI or
   * funding file were given and the bars are valid.
   */
  coverage?: CoverageReport;
  /** Warnings (funding units, …). */
  warnings: string[];
}

/** Options of {@link inspectPath}. */
export interface InspectOptions {
  /** Column mapping of the main path (`--columns`). */
  columns?: ColumnMapping;
  /** An open-interest file (`--oi`) and its mapping (`--oi-columns`). */
  oi?: string;
  oiColumns?: ColumnMapping;
  /** A funding file (`--funding`) and its mapping (`--funding-columns`). */
  funding?: string;
  fundingColumns?: ColumnMapping;
  /** Multiply funding rates by this before the units check (`--funding-scale`). Default 1. */
  fundingScale?: number;
  /** Symbol shown (default from the file). */
  symbol?: string;
  /** Expected bar interval (default: detected). */
  interval?: string;
  /** `auto` (default), `24/7` or `us_equity`. */
  calendar?: "auto" | InspectCalendar;
  /** Timestamp jitter tolerance, ms. Default 1000. */
  jitterMs?: number;
  /** OHLC rounding tolerance, relative. Default 1e-12. */
  relTolerance?: number;
  /** Synthetic market options when the path is `"synthetic"`. */
  synthetic?: SyntheticOptions;
  /** Issues / gaps listed. Default 10. */
  maxListed?: number;
}

/**
 * Inspect a `.csv`/`.zip`/`.parquet` file, a folder, `"synthetic"` or `"synthetic:<preset>"`
 * (plus optional OI and funding files). The main table is the price bars when present, else
 * OI, else funding.
 */
export async function inspectPath(
  path: string,
  options: InspectOptions = {},
): Promise<InspectReport> {
  const o = resolve(options);
  let main: InspectSummary;
  let others: InspectReport["others"];
  const syn = parseSyntheticSource(path);
  if (syn || /\.parquet$/i.test(path)) {
    const md = syn
      ? generateSyntheticMarket({ ...options.synthetic, preset: syn.preset })
      : readMarketDataParquet(path);
    main = summarizeMarket(md, syn ? "synthetic" : "parquet", o);
  } else {
    const tables = await readTables(path, { columns: options.columns, interval: o.interval });
    const order: TableKind[] = ["klines", "ohlcv", "metrics", "oi", "funding"];
    const kinds = order.filter((k) => tables.has(k));
    main = summarizeTable(tables.get(kinds[0])!, o);
    if (kinds.length > 1) {
      others = {};
      for (const k of kinds.slice(1)) others[k] = summarizeTable(tables.get(k)!, o);
    }
  }
  if (options.symbol) main.symbol = options.symbol;
  const out: InspectReport = { path, ...main, warnings: [] };
  if (others) out.others = others;
  if (options.oi) {
    const m = await readTables(options.oi, {
      dataKind: "oi",
      columns: options.oiColumns,
      flag: "--oi-columns",
    });
    out.oi = summarizeTable([...m.values()][0], { ...o, interval: undefined });
  }
  if (options.funding) {
    const m = await readTables(options.funding, {
      dataKind: "funding",
      columns: options.fundingColumns,
      flag: "--funding-columns",
    });
    out.fundingFile = summarizeTable([...m.values()][0], { ...o, interval: undefined });
  }
  for (const s of [main, out.oi, out.fundingFile, ...Object.values(others ?? {})]) {
    if (s?.funding?.warning) out.warnings.push(s.funding.warning);
  }
  const isBars = ["klines", "ohlcv", "parquet", "synthetic"].includes(main.format);
  if (isBars && (options.oi || options.funding) && main.issues.length === 0) {
    try {
      const ds = await loadDataset({ data: path, oi: options.oi, funding: options.funding }, {
        columns: options.columns,
        oiColumns: options.oiColumns,
        fundingColumns: options.fundingColumns,
        fundingScale: options.fundingScale,
        interval: options.interval,
        synthetic: options.synthetic,
      });
      out.coverage = coverageBySplit(ds.market, { all: { start: 0, end: ds.market.time.length } });
    } catch (e) {
      out.notes.push({
        kind: "coverage_unavailable",
        count: 1,
        message: `coverage not computed: ${(e as Error).message}`,
      });
    }
  }
  return out;
}

interface Resolved {
  fundingScale: number;
  calendar: "auto" | InspectCalendar;
  jitterMs: number;
  relTolerance: number;
  maxListed: number;
  interval?: string;
}

function resolve(options: InspectOptions): Resolved {
  const jitterMs = options.jitterMs ?? 1000;
  const relTolerance = options.relTolerance ?? 1e-12;
  const maxListed = options.maxListed ?? 10;
  if (!(jitterMs >= 0)) {
    throw new ConfigError(`--jitter-ms must be ≥ 0 (got ${jitterMs})`, {
      parameter: "--jitter-ms",
    });
  }
  if (!(relTolerance >= 0 && relTolerance < 1e-3)) {
    throw new ConfigError(`--rel-tolerance must be in [0, 1e-3) (got ${relTolerance})`, {
      parameter: "--rel-tolerance",
    });
  }
  const calendar = options.calendar ?? "auto";
  if (!["auto", "24/7", "us_equity"].includes(calendar)) {
    throw new ConfigError(`--calendar must be auto, 24/7 or us_equity (got ${calendar})`, {
      parameter: "--calendar",
    });
  }
  if (options.interval !== undefined) intervalToMs(options.interval);
  const fundingScale = options.fundingScale ?? 1;
  checkFundingScale(fundingScale);
  return { calendar, jitterMs, relTolerance, maxListed, interval: options.interval, fundingScale };
}

const DAY = 86_400_000;

function pickCalendar(time: Float64Array, c: Resolved["calendar"]): InspectCalendar {
  if (c !== "auto") return c;
  if (time.length < 20) return "24/7";
  for (let i = 0; i < time.length; i++) {
    const wd = new Date(time[i]).getUTCDay();
    if (wd === 0 || wd === 6) return "24/7";
  }
  return "us_equity";
}

/**
 * Snap times within `tol` ms of the regular grid (anchored at the first row, rounded to the
 * second) onto it; returns the snapped copy and how many rows moved.
 */
function snapJitter(
  time: Float64Array,
  step: number,
  tol: number,
): { time: Float64Array; jittered: number; maxJitter: number } {
  const out = time.slice();
  if (!(step > 0) || tol <= 0 || time.length === 0) return { time: out, jittered: 0, maxJitter: 0 };
  const anchor = Math.round(time[0] / 1000) * 1000;
  let jittered = 0;
  let maxJitter = 0;
  for (let i = 0; i < time.length; i++) {
    const g = anchor + Math.round((time[i] - anchor) / step) * step;
    const d = Math.abs(time[i] - g);
    if (d > 0 && d <= tol) {
      out[i] = g;
      jittered++;
      if (d > maxJitter) maxJitter = d;
    }
  }
  return { time: out, jittered, maxJitter };
}

/** Interval of possibly jittered times: the most common spacing after rounding to 1 s. */
function robustInterval(time: Float64Array): number {
  const r = new Float64Array(time.length);
  for (let i = 0; i < time.length; i++) r[i] = Math.round(time[i] / 1000) * 1000;
  return detectIntervalMs(r);
}

function timeChecks(
  time: Float64Array,
  columns: Record<string, Float64Array>,
  source: TimeTable["source"] | undefined,
  o: Resolved,
  bars: boolean,
): {
  report: ValidationReport;
  calendar: InspectCalendar;
  notes: InspectNote[];
  axis: Float64Array;
} {
  const notes: InspectNote[] = [];
  const calendar = bars ? pickCalendar(time, o.calendar) : "24/7";
  const step = o.interval ? intervalToMs(o.interval) : robustInterval(time);
  const snap = snapJitter(time, step, o.jitterMs);
  if (snap.jittered > 0) {
    notes.push({
      kind: "timestamp_jitter",
      count: snap.jittered,
      message: `${snap.jittered} time stamp(s) off the ${
        msToInterval(step)
      } grid by at most ${snap.maxJitter} ms (tolerance ${o.jitterMs} ms): jitter, snapped to the grid; not an issue`,
    });
  }
  const report = validateTimeAxis(snap.time, {
    intervalMs: step,
    columns,
    source,
    maxListed: o.maxListed,
  });
  if (calendar === "us_equity") {
    // Weekends, holidays and overnight hours are not gaps: recount against sessions.
    const g = sessionGaps(snap.time, step, o.maxListed, notes);
    report.gaps = g;
    // Irregular spacing between sessions is expected: drop "misaligned" from spacing.
    report.issues = report.issues.filter((x) => x.kind !== "misaligned");
    report.misaligned = 0;
  }
  return { report, calendar, notes, axis: snap.time };
}

function sessionsFor(fromMs: number, toMs: number, notes: InspectNote[]): MarketSession[] {
  const y0 = new Date(fromMs).getUTCFullYear();
  const y1 = new Date(toMs).getUTCFullYear();
  const { first, last } = US_EQUITY_CALENDAR_YEARS;
  const out: MarketSession[] = [];
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  // Years outside the calendar: weekdays 09:30–16:00 New York, approximated as 14:30–21:00 UTC.
  let fallbackDays = 0;
  const weekdays = (a: number, b: number) => {
    for (let d = Math.floor(a / DAY) * DAY; d <= b; d += DAY) {
      const wd = new Date(d).getUTCDay();
      if (wd === 0 || wd === 6) continue;
      out.push({
        date: iso(d),
        openMs: d + 14.5 * 3_600_000,
        closeMs: d + 21 * 3_600_000,
        earlyClose: false,
        lateOpen: false,
      });
      fallbackDays++;
    }
  };
  const lo = Math.max(y0, first);
  const hi = Math.min(y1, last);
  if (y0 < first) weekdays(fromMs, Math.min(toMs, Date.UTC(first, 0, 1) - 1));
  if (lo <= hi) {
    const a = iso(Math.max(fromMs, Date.UTC(lo, 0, 1)));
    const b = iso(Math.min(toMs, Date.UTC(hi, 11, 31)));
    out.push(...usEquitySessions(a, b));
  }
  if (y1 > last) weekdays(Math.max(fromMs, Date.UTC(last + 1, 0, 1)), toMs);
  if (fallbackDays > 0) {
    notes.push({
      kind: "calendar_fallback",
      count: fallbackDays,
      message: `${fallbackDays} day(s) outside the US equity calendar's years ${first}–${last}: ` +
        "checked against weekdays only (holidays there may show as gaps)",
    });
  }
  return out;
}

function sessionGaps(
  time: Float64Array,
  step: number,
  maxListed: number,
  notes: InspectNote[],
): ValidationReport["gaps"] {
  const gaps: ValidationReport["gaps"] = {
    count: 0,
    missingBars: 0,
    largest: 0,
    largestAt: null,
    where: [],
  };
  const n = time.length;
  if (n === 0) return gaps;
  const sessions = sessionsFor(time[0], time[n - 1], notes);
  const expected: number[] = [];
  const daily = step >= DAY;
  if (daily) {
    for (const s of sessions) expected.push(Date.parse(`${s.date}T00:00:00Z`));
  } else {
    for (const s of sessions) for (let t = s.openMs; t < s.closeMs; t += step) expected.push(t);
  }
  const key = (t: number) => (daily ? Math.floor(t / DAY) * DAY : t);
  const have = new Set<number>();
  for (let i = 0; i < n; i++) have.add(key(time[i]));
  const expSet = new Set(expected.map(key));
  let off = 0;
  for (let i = 0; i < n; i++) if (!expSet.has(key(time[i]))) off++;
  if (off > 0) {
    notes.push({
      kind: "outside_session",
      count: off,
      message: `${off} bar(s) outside the US equity regular sessions (pre/post-market or a ` +
        "non-trading day)",
    });
  }
  let run = 0;
  let runStart = -1;
  let j = 0; // index of the next bar
  const flush = (k: number) => {
    if (run === 0) return;
    while (j < n && key(time[j]) < key(expected[k])) j++;
    const g: GapInfo = {
      index: Math.min(j, n - 1),
      after: j > 0 ? formatUtc(time[j - 1]) : formatUtc(expected[runStart]),
      before: j < n ? formatUtc(time[j]) : formatUtc(expected[k - 1]),
      missingBars: run,
    };
    gaps.count++;
    gaps.missingBars += run;
    if (run > gaps.largest) {
      gaps.largest = run;
      gaps.largestAt = g;
    }
    if (gaps.where.length < maxListed) gaps.where.push(g);
    run = 0;
  };
  const lo = key(time[0]);
  const hi = key(time[n - 1]);
  for (let k = 0; k < expected.length; k++) {
    const t = key(expected[k]);
    if (t < lo || t > hi) continue;
    if (have.has(t)) flush(k);
    else {
      if (run === 0) runStart = k;
      run++;
    }
  }
  flush(expected.length);
  return gaps;
}

function counts(columns: Record<string, Float64Array>) {
  const nanCounts: Record<string, number> = {};
  const infCounts: Record<string, number> = {};
  for (const [name, a] of Object.entries(columns)) {
    let nan = 0;
    let inf = 0;
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (v !== v) nan++;
      else if (v === Infinity || v === -Infinity) inf++;
    }
    nanCounts[name] = nan;
    infCounts[name] = inf;
  }
  return { nanCounts, infCounts };
}

function summarizeTable(t: TimeTable, o: Resolved): InspectSummary {
  const bars = t.kind === "klines" || t.kind === "ohlcv";
  const tc = timeChecks(t.time, bars ? {} : t.columns, t.source, o, bars);
  let rep = tc.report;
  const notes = tc.notes;
  if (bars) {
    const md: MarketData = {
      symbol: t.symbol ?? "UNKNOWN",
      interval: rep.interval,
      intervalMs: rep.intervalMs,
      time: tc.axis,
      open: t.columns.open,
      high: t.columns.high,
      low: t.columns.low,
      close: t.columns.close,
      volume: t.columns.volume,
    };
    const v = validateMarketData(md, {
      source: t.source,
      maxListed: o.maxListed,
      relTolerance: o.relTolerance,
    });
    if (v.ohlcRounding) {
      notes.push({
        kind: "ohlc_rounding",
        count: v.ohlcRounding,
        message: `${v.ohlcRounding} bar(s) with OHLC inconsistent by less than ${o.relTolerance} ` +
          "relative: float rounding, not an issue",
      });
    }
    const priceIssues = v.issues.filter((x) =>
      ["ohlc_inconsistent", "non_positive_price", "negative_volume", "nan", "inf"].includes(x.kind)
    );
    rep = {
      ...rep,
      ohlcInconsistent: v.ohlcInconsistent,
      nonPositivePrices: v.nonPositivePrices,
      issues: [...rep.issues, ...priceIssues].slice(0, o.maxListed),
    };
  }
  const c = counts(t.columns);
  const layout = [...new Set(t.layouts.map((l) => describeLayout(l)))];
  const out: InspectSummary = {
    format: t.kind,
    layout,
    files: t.source.files.length,
    symbol: t.symbol ?? null,
    rows: rep.rows,
    first: t.time.length ? formatUtc(t.time[0]) : null,
    last: t.time.length ? formatUtc(t.time[t.time.length - 1]) : null,
    interval: rep.interval,
    calendar: tc.calendar,
    gaps: rep.gaps,
    duplicates: rep.duplicates,
    nonMonotonic: rep.nonMonotonic,
    misaligned: rep.misaligned,
    ...(bars
      ? { ohlcInconsistent: rep.ohlcInconsistent, nonPositivePrices: rep.nonPositivePrices }
      : {}),
    columns: t.sourceColumns,
    nanCounts: c.nanCounts,
    infCounts: c.infCounts,
    issues: rep.issues.slice(0, o.maxListed),
    notes,
  };
  if (t.kind === "funding" && t.columns.funding_rate) {
    const v = t.columns.funding_rate.map((x) => x * o.fundingScale);
    out.funding = checkFundingUnits(
      { time: t.time, value: v },
      { file: t.source.files.join(", "), scale: o.fundingScale },
    );
  }
  return out;
}

function summarizeMarket(
  md: MarketData,
  format: "parquet" | "synthetic",
  o: Resolved,
): InspectSummary {
  const rep = validateMarketData(md, { maxListed: o.maxListed, relTolerance: o.relTolerance });
  const notes: InspectNote[] = [];
  if (rep.ohlcRounding) {
    notes.push({
      kind: "ohlc_rounding",
      count: rep.ohlcRounding,
      message:
        `${rep.ohlcRounding} bar(s) with OHLC inconsistent by less than ${o.relTolerance} relative`,
    });
  }
  const columns = ["time", "open", "high", "low", "close", "volume"];
  if (md.openInterest) columns.push("open_interest");
  if (md.fundingRate) columns.push("funding_rate");
  if (md.filled) columns.push("filled");
  const snake = (s: string) => s.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);
  const nan: Record<string, number> = {};
  for (const [k, v] of Object.entries(rep.nanCounts)) nan[snake(k)] = v;
  const inf: Record<string, number> = {};
  for (const [k, v] of Object.entries(rep.infCounts)) inf[snake(k)] = v;
  return {
    format,
    layout: [format === "synthetic" ? "seeded synthetic market" : "Parquet cache"],
    files: format === "synthetic" ? 0 : 1,
    symbol: md.symbol,
    rows: rep.rows,
    first: rep.first,
    last: rep.last,
    interval: rep.interval,
    calendar: "24/7",
    gaps: rep.gaps,
    duplicates: rep.duplicates,
    nonMonotonic: rep.nonMonotonic,
    misaligned: rep.misaligned,
    ohlcInconsistent: rep.ohlcInconsistent,
    nonPositivePrices: rep.nonPositivePrices,
    columns,
    nanCounts: nan,
    infCounts: inf,
    issues: rep.issues,
    notes,
  };
}

/** The human-readable form of a report (what `data:inspect` prints by default). */
export function formatInspectReport(r: InspectReport): string {
  const lines: string[] = [];
  const section = (title: string, s: InspectSummary) => {
    lines.push(
      `${title}: ${s.format}, ${s.files} file(s)${s.symbol ? `, symbol ${s.symbol}` : ""}`,
    );
    for (const l of s.layout) lines.push(`  layout: ${l}`);
    lines.push(
      `  rows ${s.rows}, ${s.first ?? "-"} … ${
        s.last ?? "-"
      }, interval ${s.interval}, calendar ${s.calendar}`,
    );
    lines.push(
      s.gaps.count === 0
        ? "  gaps: none"
        : `  gaps: ${s.gaps.count} (${s.gaps.missingBars} missing bars; largest ${s.gaps.largest}${
          s.gaps.largestAt
            ? ` between ${s.gaps.largestAt.after} and ${s.gaps.largestAt.before}`
            : ""
        })`,
    );
    const nan = Object.entries(s.nanCounts).filter(([, v]) => v > 0);
    if (nan.length) {
      lines.push(`  empty/NaN values: ${nan.map(([k, v]) => `${k} ${v}`).join(", ")}`);
    }
    const nIssues = s.duplicates + s.nonMonotonic + s.misaligned + (s.ohlcInconsistent ?? 0) +
      (s.nonPositivePrices ?? 0) + Object.values(s.infCounts).reduce((a, b) => a + b, 0);
    if (s.issues.length === 0 && nIssues === 0) lines.push("  issues: none");
    else {
      lines.push(`  issues: ${Math.max(nIssues, s.issues.length)}`);
      for (const x of s.issues) {
        const where = [x.file && `file ${x.file}`, `row ${x.row}`, `column ${x.column}`].filter(
          Boolean,
        ).join(", ");
        lines.push(`    - ${x.kind}: ${x.message} (${where})`);
      }
    }
    if (s.notes.length) {
      lines.push("  notes (noise, not problems):");
      for (const n of s.notes) lines.push(`    - ${n.message}`);
    }
    if (s.funding && s.funding.intervalHours > 0) {
      const f = s.funding;
      lines.push(
        `  funding: every ${f.intervalHours} h, ${f.settlements} settlements, median |rate| ${
          Number.isFinite(f.medianAbsRate) ? f.medianAbsRate.toExponential(2) : "n/a"
        } (${f.looksLike})`,
      );
    }
  };
  section(r.path, r);
  for (const [k, s] of Object.entries(r.others ?? {})) {
    if (s) section(`  + ${k} in the same folder`, s);
  }
  if (r.oi) section("--oi", r.oi);
  if (r.fundingFile) section("--funding", r.fundingFile);
  if (r.coverage) {
    const c = r.coverage.splits[0];
    lines.push(
      `coverage of ${c.bars} bars: OI ${
        r.coverage.hasOpenInterest ? `${(100 * c.oiShare).toFixed(1)} %` : "absent"
      }, funding ${r.coverage.hasFunding ? `${(100 * c.fundingShare).toFixed(1)} %` : "absent"}`,
    );
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join("\n");
}
