/**
 * The original loaders (`loadMarketData`, `loadKlines`, …), kept as thin wrappers of the
 * one-pass pipeline {@link loadDataset} (`dataset.ts`): synthetic market, Parquet cache,
 * Binance archive files (klines / metrics / fundingRate, `.zip` or `.csv`, one file or a
 * folder) or generic CSVs — validated, de-duplicated, with OI and funding aligned as-of.
 *
 * @module
 */
import type { AlignOptions, AlignSummary, TimeSeries } from "./align.ts";
import { barsFromTidyTable, loadDataset } from "./dataset.ts";
import type { ColumnMapping } from "./layouts.ts";
import type { MarketData } from "./market_data.ts";
import type { SyntheticOptions } from "./synthetic.ts";
import {
  type OhlcvColumns,
  readTables,
  type RowSource,
  type TidyOptions,
  tidyTable,
  type TimeTable,
} from "./table.ts";
import type { ValidationReport } from "./validate.ts";

/** Options of the loaders. */
export interface LoadOptions extends TidyOptions, AlignOptions {
  /** Symbol name; default from the file (Binance file name or `symbol` column) or `"UNKNOWN"`. */
  symbol?: string;
  /** Bar interval; default from the Binance file name, else the most common spacing. */
  interval?: string;
  /** Generic OHLCV CSV column names. */
  columns?: OhlcvColumns;
  /** Gap policy: `"keep"` (default, reported), `"reject"` (throw) or `"fill"` (flat bars). */
  gaps?: "keep" | "reject" | "fill";
  /** Max bars filled per gap with `gaps: "fill"`. Default Infinity. */
  maxFill?: number;
  /** Options of the synthetic market when the source is `"synthetic"`. */
  synthetic?: SyntheticOptions;
  /** Load open interest / funding found next to the bars (folders). Default true. */
  withOpenInterest?: boolean;
  withFunding?: boolean;
}

/** Result of {@link loadMarketDataWithReport}. */
export interface LoadResult {
  market: MarketData;
  /** Validation report of the bars (before gap filling). */
  report: ValidationReport;
  /** Alignment summary when OI or funding were joined. */
  alignment?: AlignSummary;
  /** Identical duplicate bars dropped (e.g. overlapping daily and monthly files). */
  droppedDuplicates: number;
  /** Row provenance of the bars (before gap filling). */
  source?: RowSource;
}

/**
 * Load market data from `"synthetic"` (the seeded default market; `options.synthetic`) or
 * `"synthetic:<preset>"` (a named synthetic market, e.g. `"synthetic:learning"`),
 * a `.parquet` cache, a `.csv`/`.zip` file, a list of files or a folder of them. Bars are validated (a
 * {@link DataError} names file, row and column of the first problem) and OI/funding found
 * in the same folder are aligned as-of. A thin wrapper of {@link loadDataset} (one pass).
 */
export async function loadMarketData(
  source: string | string[],
  options: LoadOptions = {},
): Promise<MarketData> {
  return (await loadDataset({ data: source }, options)).market;
}

/** {@link loadMarketData} plus the validation report and alignment summary. */
export async function loadMarketDataWithReport(
  source: string | string[],
  options: LoadOptions = {},
): Promise<LoadResult> {
  const r = await loadDataset({ data: source }, options);
  return {
    market: r.market,
    report: r.report,
    alignment: r.alignment,
    droppedDuplicates: r.droppedDuplicates,
    source: r.rowSource,
  };
}

/** Load Binance kline bars (or a generic OHLCV CSV) from a file or folder, validated. */
export async function loadKlines(path: string, options: LoadOptions = {}): Promise<MarketData> {
  return (await loadDataset({ data: path }, {
    ...options,
    withOpenInterest: false,
    withFunding: false,
  })).market;
}

/** Load a generic OHLCV CSV (time as ISO-8601 with any offset or epoch s/ms/µs). */
export async function loadOhlcvCsv(path: string, options: LoadOptions = {}): Promise<MarketData> {
  return await loadKlines(path, options);
}

/**
 * Load open interest (contracts/base units) from Binance `metrics` files or an OI CSV
 * (`t,oi,…`); `time` is the snapshot instant (see `layouts.ts` for the `at` rule).
 */
export async function loadOpenInterest(
  path: string,
  options: TidyOptions & { columns?: ColumnMapping } = {},
): Promise<TimeSeries> {
  const m = await readTables(path, { dataKind: "oi", columns: options.columns });
  const t = tidyTable(m.get("metrics") ?? m.get("oi")!, options).table;
  return { time: t.time, value: t.columns["open_interest"] };
}

/**
 * Load funding settlements (`time` = settlement instant, `value` = rate as a fraction per
 * settlement) from Binance `fundingRate` files or a funding CSV. No units check or scale
 * here: {@link loadDataset} does both.
 */
export async function loadFunding(
  path: string,
  options: TidyOptions & { columns?: ColumnMapping } = {},
): Promise<TimeSeries> {
  const m = await readTables(path, { dataKind: "funding", columns: options.columns });
  const t = tidyTable(m.get("funding")!, options).table;
  return { time: t.time, value: t.columns["funding_rate"] };
}

/** Turn a klines/OHLCV table into {@link MarketData} (sorted, de-duplicated; not yet validated). */
export function barsFromTable(
  table: TimeTable,
  options: LoadOptions = {},
): { market: MarketData; source: RowSource; dropped: number } {
  const tidy = tidyTable(table, options);
  return {
    market: barsFromTidyTable(tidy.table, options),
    source: tidy.table.source,
    dropped: tidy.droppedIdentical + tidy.droppedConflicting,
  };
}
