/**
 * `data:inspect`: a one-object JSON summary of any supported data file or folder (rows,
 * first/last bar, interval, gaps, duplicates, columns, NaN counts). Never modifies the data:
 * duplicates and out-of-order rows are reported, not fixed.
 *
 * @module
 */
import type { MarketData } from "./market_data.ts";
import { readMarketDataParquet } from "./polars_io.ts";
import {
  generateSyntheticMarket,
  parseSyntheticSource,
  type SyntheticOptions,
} from "./synthetic.ts";
import { type OhlcvColumns, readTables, type TableKind, type TimeTable } from "./table.ts";
import {
  type GapInfo,
  validateMarketData,
  validateTimeAxis,
  type ValidationIssue,
  type ValidationReport,
} from "./validate.ts";

/** Summary of one table. */
export interface InspectSummary {
  /** Detected format: klines, metrics, funding, ohlcv, parquet or synthetic. */
  format: TableKind | "parquet" | "synthetic";
  /** Number of files read. */
  files: number;
  symbol: string | null;
  rows: number;
  /** First / last row time, ISO-8601 UTC. */
  first: string | null;
  last: string | null;
  /** Detected (most common) spacing, e.g. `"5m"`. */
  interval: string;
  gaps: {
    count: number;
    missingBars: number;
    largest: number;
    largestAt: GapInfo | null;
    where: GapInfo[];
  };
  duplicates: number;
  nonMonotonic: number;
  misaligned: number;
  /** Bars (klines/ohlcv/parquet only) with inconsistent OHLC or price ≤ 0. */
  ohlcInconsistent?: number;
  nonPositivePrices?: number;
  /** Columns present (source names; time column first). */
  columns: string[];
  nanCounts: Record<string, number>;
  infCounts: Record<string, number>;
  /** First few issues with file, row and column. */
  issues: ValidationIssue[];
}

/** The JSON printed by `deno task data:inspect`. */
export interface InspectReport extends InspectSummary {
  /** What was inspected. */
  path: string;
  /** Other tables found in the same folder (e.g. metrics and funding next to klines). */
  others?: Partial<Record<TableKind, InspectSummary>>;
}

/**
 * Inspect a `.csv`/`.zip`/`.parquet` file, a folder, `"synthetic"` or `"synthetic:<preset>"`. The main table is the
 * price bars when present, else metrics, else funding.
 */
export async function inspectPath(
  path: string,
  options: { columns?: OhlcvColumns; synthetic?: SyntheticOptions; maxListed?: number } = {},
): Promise<InspectReport> {
  const maxListed = options.maxListed ?? 10;
  const syn = parseSyntheticSource(path);
  if (syn) {
    const md = generateSyntheticMarket({ ...options.synthetic, preset: syn.preset });
    return { path, ...summarizeMarket(md, "synthetic", 0, maxListed) };
  }
  if (/\.parquet$/i.test(path)) {
    const md = readMarketDataParquet(path);
    return { path, ...summarizeMarket(md, "parquet", 1, maxListed) };
  }
  const tables = await readTables(path, { columns: options.columns });
  const order: TableKind[] = ["klines", "ohlcv", "metrics", "funding"];
  const kinds = order.filter((k) => tables.has(k));
  const main = summarizeTable(tables.get(kinds[0])!, maxListed);
  const out: InspectReport = { path, ...main };
  if (kinds.length > 1) {
    out.others = {};
    for (const k of kinds.slice(1)) out.others[k] = summarizeTable(tables.get(k)!, maxListed);
  }
  return out;
}

function summarizeTable(t: TimeTable, maxListed: number): InspectSummary {
  let rep: ValidationReport;
  if (t.kind === "klines" || t.kind === "ohlcv") {
    const md: MarketData = {
      symbol: t.symbol ?? "UNKNOWN",
      interval: t.interval ?? "",
      intervalMs: 0,
      time: t.time,
      open: t.columns.open,
      high: t.columns.high,
      low: t.columns.low,
      close: t.columns.close,
      volume: t.columns.volume,
    };
    const axis = validateTimeAxis(t.time, { maxListed });
    md.intervalMs = axis.intervalMs;
    rep = validateMarketData(md, { source: t.source, maxListed });
  } else {
    rep = validateTimeAxis(t.time, { columns: t.columns, source: t.source, maxListed });
  }
  // NaN counts of every numeric column, under the source names.
  const nanCounts: Record<string, number> = {};
  const infCounts: Record<string, number> = {};
  for (const [name, a] of Object.entries(t.columns)) {
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
  return {
    format: t.kind,
    files: t.source.files.length,
    symbol: t.symbol ?? null,
    rows: rep.rows,
    first: rep.first,
    last: rep.last,
    interval: rep.interval,
    gaps: rep.gaps,
    duplicates: rep.duplicates,
    nonMonotonic: rep.nonMonotonic,
    misaligned: rep.misaligned,
    ...(t.kind === "klines" || t.kind === "ohlcv"
      ? { ohlcInconsistent: rep.ohlcInconsistent, nonPositivePrices: rep.nonPositivePrices }
      : {}),
    columns: t.sourceColumns,
    nanCounts,
    infCounts,
    issues: rep.issues.slice(0, maxListed),
  };
}

function summarizeMarket(
  md: MarketData,
  format: "parquet" | "synthetic",
  files: number,
  maxListed: number,
): InspectSummary {
  const rep = validateMarketData(md, { maxListed });
  const columns = ["time", "open", "high", "low", "close", "volume"];
  if (md.openInterest) columns.push("open_interest");
  if (md.fundingRate) columns.push("funding_rate");
  if (md.filled) columns.push("filled");
  const nan: Record<string, number> = {};
  for (const [k, v] of Object.entries(rep.nanCounts)) nan[snake(k)] = v;
  const inf: Record<string, number> = {};
  for (const [k, v] of Object.entries(rep.infCounts)) inf[snake(k)] = v;
  return {
    format,
    files,
    symbol: md.symbol,
    rows: rep.rows,
    first: rep.first,
    last: rep.last,
    interval: rep.interval,
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
  };
}

function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
